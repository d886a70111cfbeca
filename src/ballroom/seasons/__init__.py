"""Season files: load a season (TOML or YAML) and the bundled Season 34."""

from ballroom.seasons.loader import bundled_season34, load_season, load_season_text

__all__ = ["bundled_season34", "load_season", "load_season_text"]
