"""The HTML report: one self-contained, well-formed page that labels what is simulated."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ballroom.seasons import bundled_season34, load_season_text
from ballroom.services.replay import ReplayConfig, SeasonReplay, replay_season
from ballroom.web.report import render_report, write_report

VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "source", "wbr"}
SVG_LEAVES = {"line", "circle", "rect", "polyline", "path"}


class _Checker(HTMLParser):
    """Tracks open elements, every attribute, and script blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with {self.stack[-3:]} open")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text.append(data)


TINY_TOML = """\
[season]
id = "tiny"
name = "Tiny <season> & co"

[[couples]]
id = "ann"
celebrity = "Ann <b>A</b>"
professional = "Pro P"
keyword = "ANN"

[[couples]]
id = "bob"
celebrity = "Bob B"
professional = "Pro Q"
keyword = "BOB"

[[judges]]
id = "j1"
name = "Judge One"
head = true

[[judges]]
id = "j2"
name = "Judge Two"

[[weeks]]
number = 1
theme = "Rock & <Roll>"
judges = ["j1", "j2"]
eliminate = 1
eliminated = ["bob"]
"""


@pytest.fixture(scope="module")
def replay() -> SeasonReplay:
    return replay_season(bundled_season34(), ReplayConfig(seed=21, electorates=4))


@pytest.fixture(scope="module")
def page(replay: SeasonReplay) -> str:
    return render_report(replay)


def _check(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def test_report_is_well_formed_html(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    checker = _check(page)
    assert checker.errors == []
    assert checker.stack == []
    assert checker.tags.count("svg") == 3
    assert checker.tags.count("table") >= 12  # reproduction + one per week


def test_report_fetches_nothing_from_anywhere(page: str) -> None:
    checker = _check(page)
    assert not re.search(r"https?://", page)
    assert "//" not in "".join(value or "" for _, _, value in checker.attributes)
    assert not any(name in {"src", "href"} for _, name, _ in checker.attributes)
    assert "link" not in checker.tags
    assert "@import" not in page
    assert "url(" not in page
    # The only script block is data, not code.
    assert checker.scripts == [{"type": "application/json", "id": "ballroom-summary"}]


def test_report_embeds_the_summary(replay: SeasonReplay, page: str) -> None:
    checker = _check(page)
    embedded = json.loads("".join(checker.script_text))
    assert embedded == json.loads(json.dumps(replay.summary()))


def test_report_labels_simulated_numbers_seed_and_parameters(page: str) -> None:
    assert "All viewer votes are simulated" in page
    assert page.count('<span class="badge">sim</span>') > 50
    assert "seed 21" in page
    assert "Judges&#x27; save (sim)" in page
    assert "Skating ordinals" in page
    assert "40,000,000" in page
    assert "hollow" in page


def test_report_shows_every_rule_set_and_real_result(page: str) -> None:
    for name in ("dwts", "dwts-judges-save", "strictly", "skating (judges only)"):
        assert f"<th>{name}</th>" in page
    for text in ("Hilaria Baldwin", "Whitney Leavitt", "Disney Night", "The whole real"):
        assert text in page


def test_same_replay_gives_the_same_page(replay: SeasonReplay, page: str) -> None:
    again = replay_season(bundled_season34(), ReplayConfig(seed=21, electorates=4))
    assert render_report(again) == page


def test_names_and_themes_are_escaped() -> None:
    season = load_season_text(TINY_TOML, "toml")
    page = render_report(replay_season(season, ReplayConfig(seed=1, electorates=2)))
    assert "Rock &amp; &lt;Roll&gt;" in page
    assert "<Roll>" not in page
    assert "Ann <b>" not in page
    assert "Ann &lt;b&gt;A&lt;/b&gt;" in page
    checker = _check(page)
    assert checker.errors == []
    assert "b" not in checker.tags


def test_write_report_writes_utf8_file(replay: SeasonReplay, tmp_path: Path) -> None:
    target = write_report(replay, tmp_path / "report.html")
    assert target.read_text(encoding="utf-8") == render_report(replay)
