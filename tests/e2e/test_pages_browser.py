"""A live night through the pages, in Debian's chromium, against a real ``ballroom serve``.

A viewer signs up on /vote (the code is read in the control room's outbox, as a producer
would), saves votes with the steppers and gets a receipt; the control room sees the live
tally; a judge keys a score on /judge and the control room's sheet follows; voting closes
(through the API) and the control room follows; the producer locks, computes and reveals;
/results shows the leaderboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from serve_support import Server, key_missing_scores

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(f"sqlite:///{tmp_path / 'demo.db'}", tmp_path / "serve.log")
    try:
        yield running
    finally:
        running.stop()


def _log_in(page: object, base: str, path: str, name: str, password: str) -> None:
    page.goto(f"{base}{path}")  # type: ignore[attr-defined]
    page.fill("#name", name)  # type: ignore[attr-defined]
    page.fill("#password", password)  # type: ignore[attr-defined]
    page.click("#login")  # type: ignore[attr-defined]


def test_a_live_night_through_the_pages(server: Server, browser: object) -> None:
    assert "producer" in server.output
    assert "s34w04 is open for voting" in server.output
    base = server.base
    requests_elsewhere: list[str] = []

    def watch(page: object) -> object:
        def record(request: object) -> None:
            url = request.url  # type: ignore[attr-defined]
            if not url.startswith(base) and not url.startswith("data:"):
                requests_elsewhere.append(url)

        page.on("request", record)  # type: ignore[attr-defined]
        return page

    voter = watch(browser.new_page())  # type: ignore[attr-defined]
    control = watch(browser.new_page())  # type: ignore[attr-defined]
    judge = watch(browser.new_page())  # type: ignore[attr-defined]

    # An ineligible viewer is told why.
    voter.goto(f"{base}/vote")
    expect(voter.get_by_test_id("window-phase")).to_have_text("Voting is open")
    voter.fill("#email", "teen@example.com")
    voter.click("#first-time")  # a first-time viewer gives age and region
    voter.fill("#age", "16")
    voter.click("#signup")
    expect(voter.get_by_test_id("signup-message-error")).to_have_text("Voters must be 18 or older.")

    # A real viewer signs up; the code arrives in the outbox the control room shows.
    voter.fill("#email", "Viewer.One+tv@example.com")
    voter.fill("#age", "34")
    voter.select_option("#region", "CA")
    voter.click("#signup")
    expect(voter.get_by_test_id("signup-message-ok")).to_be_visible()

    _log_in(control, base, "/control", "producer", "producer-demo")
    expect(control.get_by_test_id("phase")).to_have_text("Voting is open")
    body = control.get_by_test_id("outbox-body").first.inner_text()
    code = re.search(r"\b(\d{6})\b", body)
    assert code is not None, body

    voter.fill("#code", code.group(1))
    voter.click("#verify")
    expect(voter.get_by_test_id("signed-in-as")).to_contain_text("Viewer.One+tv@example.com")
    for _ in range(3):
        voter.get_by_test_id("plus-robert").click()
    voter.get_by_test_id("plus-alix").click()
    expect(voter.get_by_test_id("votes-robert")).to_have_text("3")
    voter.click("#save")
    expect(voter.get_by_test_id("receipt")).to_be_visible()
    assert len(voter.inner_text("#receipt-hash")) == 64
    expect(voter.locator("#receipt-summary")).to_have_text(
        "Counted: 1 vote for Alix Earle, 3 votes for Robert Irwin."
    )

    # The control room's live tally (server-sent events) shows the ballot.
    expect(control.get_by_test_id("tally-total-robert")).to_have_text("3")

    # A later save replaces the ballot; the tally follows.
    for _ in range(3):
        voter.get_by_test_id("minus-robert").click()
    voter.get_by_test_id("plus-hilaria").click()
    voter.click("#save")
    expect(voter.locator("#receipt-summary")).to_have_text(
        "Counted: 1 vote for Alix Earle, 1 vote for Hilaria Baldwin."
    )
    expect(control.get_by_test_id("tally-total-robert")).to_have_text("0")
    expect(control.get_by_test_id("tally-total-hilaria")).to_have_text("1")

    # A judge keys a score for tonight.
    _log_in(judge, base, "/judge", "derek", "judge-demo")
    judge.locator("[data-testid=score-robert-Dance-9] + span").click()
    judge.get_by_test_id("key-robert-Dance").click()
    judge.get_by_test_id("confirm-robert-Dance").click()
    expect(judge.get_by_test_id("keyed-robert-Dance")).to_have_text("9")
    # The control room's sheet follows as it is keyed (its stream looks once a second).
    expect(control.get_by_test_id("grid-robert-derek")).to_have_text("9", timeout=3000)

    # Voting closes from elsewhere (another producer, through the API): the control room
    # follows without a reload (the window's status stream looks once a second).
    boss = httpx.post(
        f"{base}/api/v1/sessions", json={"name": "producer", "password": "producer-demo"}
    ).json()["token"]
    closing = httpx.post(
        f"{base}/api/v1/windows/s34w04/close", headers={"Authorization": f"Bearer {boss}"}
    )
    assert closing.status_code == 200, closing.text
    expect(control.get_by_test_id("phase")).to_have_text("Voting has closed", timeout=3000)
    expect(control.locator("#close-window")).to_be_disabled()

    # Producer: lock, compute, reveal (the rest of the panel keys its scores first: results
    # are never computed on a sheet with a hole in it).
    key_missing_scores(base, "s34w04", producer=("producer", "producer-demo"))
    control.click("#lock")
    control.click("#confirm-yes")
    expect(control.locator("#score-info")).to_contain_text("locked")
    control.click("#compute")
    # The rest of the panel keyed 7 everywhere: couples with equal points and no votes tie
    # exactly at the bottom, and the rule set eliminates nobody.
    expect(control.get_by_test_id("eliminated")).to_have_text("Nobody goes home")
    control.click("#reveal")
    control.click("#confirm-yes")
    expect(control.get_by_test_id("results-message-ok")).to_contain_text("Revealed")

    # The judge can no longer key.
    judge.reload()
    expect(judge.locator("#lock-state")).to_have_text("The scores are locked.")

    results = watch(browser.new_page())  # type: ignore[attr-defined]
    results.goto(f"{base}/results")
    expect(results.get_by_test_id("standing-robert")).to_be_visible()
    expect(results.get_by_test_id("eliminated")).to_have_text("Nobody goes home this week.")
    assert results.locator("#explanation li").count() >= 1

    # Docs render from the vendored Swagger UI.
    docs = watch(browser.new_page())  # type: ignore[attr-defined]
    docs.goto(f"{base}/docs")
    expect(docs.locator(".swagger-ui .title").first).to_contain_text("ballroom")

    assert requests_elsewhere == []


def test_the_staff_log_in_refuses_wrong_passwords_and_wrong_roles(
    server: Server, browser: object
) -> None:
    """The one log-in form both staff pages share: errors shown, no token kept, then in and out."""
    base = server.base
    control = browser.new_page()  # type: ignore[attr-defined]
    judge = browser.new_page()  # type: ignore[attr-defined]

    _log_in(control, base, "/control", "producer", "not-the-password")
    expect(control.get_by_test_id("login-message-error")).to_be_visible()
    # A judge is refused by the control room's own role check (on entering).
    _log_in(control, base, "/control", "derek", "judge-demo")
    expect(control.get_by_test_id("login-message-error")).to_contain_text(
        "This account is not a producer's"
    )
    # A producer is refused by the judge's desk before its token is kept.
    _log_in(judge, base, "/judge", "producer", "producer-demo")
    expect(judge.get_by_test_id("login-message-error")).to_contain_text(
        "This account is not a judge's"
    )
    for page, key in ((control, "ballroom.token.control"), (judge, "ballroom.token.judge")):
        assert page.evaluate(f"sessionStorage.getItem('{key}')") is None
        expect(page.locator("#login-section")).to_be_visible()

    judge.fill("#name", "derek")
    judge.fill("#password", "judge-demo")
    judge.click("#login")
    expect(judge.locator("#sheet-section")).to_be_visible()
    expect(judge.locator("#login-section")).to_be_hidden()
    expect(judge.get_by_test_id("login-message-error")).to_have_count(0)
    judge.click("#log-out")
    expect(judge.locator("#login-section")).to_be_visible()
    assert judge.evaluate("sessionStorage.getItem('ballroom.token.judge')") is None

    control.fill("#name", "producer")
    control.fill("#password", "producer-demo")
    control.click("#login")
    expect(control.get_by_test_id("phase")).to_have_text("Voting is open")
    expect(control.locator("#login-section")).to_be_hidden()
