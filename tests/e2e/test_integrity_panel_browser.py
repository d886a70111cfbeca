"""The control room's integrity panel in Debian's chromium, against a real ``ballroom serve``.

A generated Disney Night with a "+"-alias farm and an all-but-one campaign is loaded with
``ballroom import`` into the demo database; the producer analyses it in the panel, voids one
flagged account with a reason, sees the audit entry, and the recomputed results leave that
account's votes out while the campaign stays reported and counted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from serve_support import Server, key_missing_scores
from show_support import screenshot

from ballroom.adapters.interchange import write_vote_arrow
from ballroom.integrity.electorate import Campaign, Electorate, Scenario, generate

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WINDOW = "s34w04"


def _import(db_url: str, folder: Path) -> Electorate:
    electorate = generate(
        Scenario(
            voters=120,
            farms=1,
            farm_size=(5, 5),
            bots=0,
            campaigns=(Campaign("hilaria", 0.1),),
            seed=11,
        )
    )
    path = folder / "night.csv"
    write_vote_arrow(path, electorate.table)
    command = [sys.executable, "-c", "from ballroom.cli import main; main()", "import", str(path)]
    done = subprocess.run(
        [*command, "--db", db_url, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["refused"] == 0
    return electorate


@pytest.fixture
def night(tmp_path: Path) -> Iterator[tuple[Server, Electorate]]:
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    electorate = _import(db_url, tmp_path)
    running = Server(db_url, tmp_path / "serve.log")
    try:
        yield running, electorate
    finally:
        running.stop()


def _votes(result: dict[str, Any]) -> dict[str, int]:
    return {s["couple"]: s["votes"] for s in result["standings"]}


def test_void_a_flagged_account_in_the_panel(
    night: tuple[Server, Electorate], browser: Any
) -> None:
    server, electorate = night
    base = server.base
    elsewhere: list[str] = []
    page = browser.new_page()
    page.on(
        "request",
        lambda r: None if r.url.startswith((base, "data:")) else elsewhere.append(r.url),
    )
    page.goto(f"{base}/control")
    page.fill("#name", "producer")
    page.fill("#password", "producer-demo")
    page.click("#login")
    # The imported night is closed already: lock the scores and compute the results as cast.
    expect(page.get_by_test_id("phase")).to_have_text("Voting has closed")
    key_missing_scores(base, WINDOW, producer=("producer", "producer-demo"))
    page.click("#lock")
    page.click("#confirm-yes")
    expect(page.locator("#score-info")).to_contain_text("locked")
    page.click("#compute")
    expect(page.get_by_test_id("eliminated")).to_contain_text("Eliminated")

    page.click("#analyse")
    farm = sorted(electorate.truth.abusive)
    expect(page.get_by_test_id(f"flagged-{farm[0]}")).to_be_visible()
    expect(page.locator("#flagged tbody tr")).to_have_count(len(farm))
    expect(page.get_by_test_id("integrity-summary")).to_contain_text(f"{len(farm)} flagged")
    expect(page.get_by_test_id("counterfactual")).to_contain_text(
        "Without the flagged votes the elimination would"
    )
    expect(page.get_by_test_id("counterfactual")).to_contain_text("margin")
    expect(page.get_by_test_id("cluster-chart").locator("rect")).not_to_have_count(0)
    campaign = page.get_by_test_id("campaign-hilaria")
    expect(campaign).to_contain_text("Legal tactical voting — reported, not removed")
    for voter in electorate.truth.tactical:
        assert page.get_by_test_id(f"flagged-{voter}").count() == 0
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator("#integrity-panel").scroll_into_view_if_needed()
    screenshot(page, "control-desktop-integrity")

    token = page.evaluate("sessionStorage.getItem('ballroom.token.control')")
    headers = {"Authorization": f"Bearer {token}"}
    report = httpx.get(f"{base}/api/v1/windows/{WINDOW}/integrity", headers=headers).json()
    target = next(f for f in report["flagged"] if f["voter"] == farm[0])
    before = _votes(httpx.get(f"{base}/api/v1/nights/{WINDOW}/results", headers=headers).json())

    # A decision needs a reason: the panel shows the API's refusal.
    page.get_by_test_id(f"void-{target['voter']}").click()
    expect(page.get_by_test_id("integrity-message-error")).to_have_text(
        "A decision needs a reason."
    )
    page.fill(f"#reason-{target['voter']}", "five + aliases of one mailbox")
    page.get_by_test_id(f"void-{target['voter']}").click()
    expect(page.get_by_test_id("integrity-message-ok")).to_contain_text("Voided")
    expect(page.get_by_test_id(f"decision-{target['voter']}")).to_contain_text(
        "void by producer: five + aliases of one mailbox"
    )
    expect(page.get_by_test_id("integrity-stale-error")).to_contain_text("compute them again")
    expect(page.locator("#audit")).to_contain_text(f"voided voter {target['voter']}")
    expect(page.locator("#audit")).to_contain_text("five + aliases of one mailbox")

    page.click("#compute")
    expect(page.get_by_test_id("eliminated")).to_contain_text("Eliminated")
    after = httpx.get(f"{base}/api/v1/nights/{WINDOW}/results", headers=headers).json()
    assert after["voided"] == {"voters": 1, "votes": target["allocation"]}
    changed = {c: before[c] - v for c, v in _votes(after).items() if before[c] != v}
    assert changed == target["allocation"]
    page.click("#analyse")
    expect(page.get_by_test_id("integrity-stale-error")).to_have_count(0)
    expect(page.get_by_test_id("decision")).to_have_count(1)
    assert elsewhere == []
