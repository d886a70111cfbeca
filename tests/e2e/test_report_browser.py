"""The demo's HTML report in Debian's Chromium: chart labels whole, names not ids, no jargon."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ballroom.seasons import bundled_season34
from ballroom.services.rehearsal import RehearsalConfig, rehearse
from ballroom.services.replay import ReplayConfig, replay_season
from ballroom.web.report import write_report

pytestmark = pytest.mark.browser

COUPLE_IDS = (
    "robert", "whitney", "hilaria", "alix", "lauren", "danielle", "elaine", "jen", "baron",
    "dylan", "jordan", "scott", "andy", "corey",
)  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    season = bundled_season34()
    replay = replay_season(season, ReplayConfig(seed=34, electorates=3))
    folder = tmp_path_factory.mktemp("report")
    rehearsal = rehearse(season, RehearsalConfig(seed=34, voters=300), folder=folder / "r")
    return write_report(replay, folder / "report.html", rehearsal)


def test_every_chart_label_is_inside_its_chart(report: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(report.as_uri())
    cut = page.evaluate(
        """() => {
            const out = [];
            for (const svg of document.querySelectorAll('svg')) {
                const box = svg.getBoundingClientRect();
                for (const label of svg.querySelectorAll('text')) {
                    const r = label.getBoundingClientRect();
                    if (r.width === 0) continue;
                    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
                        r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
                        out.push(label.textContent);
                    }
                }
            }
            return out;
        }"""
    )
    assert cut == []
    # The path chart ends each line with the couple's whole first name.
    chart = page.locator('svg[aria-label="Each couple\'s place by week"]')
    labels = chart.locator("text").all_text_contents()
    assert "Robert" in labels
    page.close()


def test_the_report_speaks_in_names_and_words(report: Path, browser: Any) -> None:
    page = browser.new_page()
    page.goto(report.as_uri())
    words = page.locator("body").inner_text()
    for couple in COUPLE_IDS:
        assert not re.search(rf"\b{couple}\b", words), couple
    for jargon in ("split sim", "cap_exceeded", "window_closed", "interfaces.md", ".md"):
        assert jargon not in words, jargon
    assert "Hilaria Baldwin" in words
    page.close()
