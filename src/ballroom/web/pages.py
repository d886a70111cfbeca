"""The HTML pages: one Jinja2 layout, and what each page shows before any script runs.

The vote page is rendered with tonight's couples in it, so a client without scripts, a link
preview or a crawler sees the night and its couples; the scripts then add signing in, the
steppers and the live state of the window.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from ballroom.api import voting_bridge
from ballroom.domain.eligibility import ONLINE_REGIONS
from ballroom.errors import NotFound

if TYPE_CHECKING:
    from ballroom.bootstrap import App

WEB = Path(__file__).resolve().parent
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
REGION_NAMES = {"US": "United States", "CA": "Canada", "PR": "Puerto Rico"}
STAFF_PAGES = frozenset({"judge", "control"})
TITLES = {
    "vote": "Vote",
    "results": "Results",
    "receipt": "Check a receipt",
    "judge": "Judges",
    "control": "Control room",
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(app: App, page: str) -> str:
    """The HTML of ``page`` (one of ``TITLES``) as the server sends it."""
    context: dict[str, Any] = {
        "page": page,
        "title": TITLES[page],
        "staff": page in STAFF_PAGES,
        "season_name": app.control.season.name,
    }
    if page == "vote":
        context |= vote_context(app)
    return _templates.get_template(f"{page}.html").render(context)


def vote_context(app: App) -> dict[str, Any]:
    """Tonight's night, its window and couples as the vote page shows them."""
    try:
        night = app.control.current_night().as_dict(app.control.season)
    except NotFound:
        return {"night": None, "couples": [], "window": None, "cap": app.voting.cap}
    window = voting_bridge.status(app, night["window"])
    played = night["date"]
    night["date_text"] = _date_text(date.fromisoformat(played)) if played else ""
    couples = []
    for couple in night["couples"]:
        performances = [p for p in night["performances"] if p["couple"] == couple["id"]]
        couples.append(
            couple
            | {
                "initials": initials(couple["celebrity"]),
                "photo": f"/photos/{couple['id']}" if photo_path(app, couple["id"]) else None,
                "performances": performances,
            }
        )
    return {
        "night": night,
        "window": window,
        "couples": couples,
        "cap": app.voting.cap,
        "sms_number": app.settings.sms_number,
        "regions": [(code, name) for code, name in REGION_NAMES.items() if code in ONLINE_REGIONS],
        "description": f"Week {night['week']}, {night['theme']}: vote for your favourite couple.",
    }


def photo_path(app: App, couple: str) -> Path | None:
    """The operator's photo of ``couple`` in the photos folder, if there is one."""
    folder = app.settings.photos_dir
    if folder is None or not couple.replace("-", "").replace("_", "").isalnum():
        return None
    for suffix in PHOTO_SUFFIXES:
        candidate = Path(folder) / f"{couple}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def initials(name: str) -> str:
    """``Robert Irwin`` -> ``RI``: what a couple's card shows without a photo."""
    return "".join(word[0] for word in name.split()[:2] if word).upper()


def _date_text(day: date) -> str:
    return f"{day.strftime('%A')}, {day.strftime('%B')} {day.day}, {day.year}"
