"""The public and staff pages as viewers, judges and producers use them, in Debian's chromium
against one real ``ballroom serve --demo`` (Season 34, Disney Night open) for the module.

The tests run in file order and share the night: viewers vote while it is open, the judges
key, then the producer closes, locks, computes and reveals, and the results page is read
last. Each page is screenshotted at phone, tablet and desktop sizes (tests/e2e/artifacts/)
and checked with axe-core, vendored from the npm registry, for serious or critical issues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from serve_support import Server
from show_support import (
    DESKTOP,
    PHONE,
    SIZES,
    emailed_code,
    key_the_rest,
    no_sideways_scroll,
    screenshot,
    serious_violations,
    sign_up_and_in,
    small_tap_targets,
    staff_log_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECEIPTS: dict[str, str] = {}  # what one test saved and a later one checks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("show")
    running = Server(f"sqlite:///{folder / 'demo.db'}", folder / "serve.log")
    try:
        yield running
    finally:
        running.stop()


def _page(chromium: Browser, size: dict[str, int], *, phone: bool = False) -> Page:
    context = chromium.new_context(viewport=size, has_touch=phone, is_mobile=phone)
    return context.new_page()


def _focused_test_id(page: Page) -> Any:
    return page.evaluate("document.activeElement && document.activeElement.dataset.testid")


def test_the_vote_page_is_in_the_html_the_server_sends(server: Server) -> None:
    """No script needed to see the night and its couples (link previews, crawlers, no-JS)."""
    import httpx  # noqa: PLC0415 - only this test reads raw HTML

    html = httpx.get(f"{server.base}/vote").text
    assert "Disney Night" in html
    assert "Robert Irwin" in html
    assert "Witney Carson" in html
    assert "Loading" not in html
    assert "(201) 555-0134" in html  # the number to text, beside the keywords
    assert "Quickstep to “Cantina Band”" in html  # tonight's dance and song where published
    for staff_link in ('href="/judge"', 'href="/control"'):
        assert staff_link not in html
    assert httpx.get(f"{server.base}/favicon.ico").status_code == 200


def test_a_viewer_comes_back_and_sees_their_ballot(server: Server, chromium: Browser) -> None:
    base = server.base
    page = _page(chromium, PHONE, phone=True)
    page.goto(f"{base}/vote")
    # Only the regions where online voting is open are offered.
    assert page.locator("#region option").all_inner_texts() == [
        "United States",
        "Canada",
        "Puerto Rico",
    ]
    screenshot(page, "vote-phone-signed-out")
    sign_up_and_in(page, base, "Comeback.Viewer@example.com")

    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    for _ in range(3):
        page.get_by_test_id("plus-robert").click()
    page.get_by_test_id("plus-alix").click()
    expect(page.get_by_test_id("votes-robert")).to_have_text("3")
    expect(page.get_by_test_id("total")).to_have_text("4 votes given")
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    page.locator("#ballot-title").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('ballot-title').scrollIntoView()")
    screenshot(page, "vote-phone-voting-view", full_page=False)
    page.click("#save")

    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    expect(receipt).to_contain_text("Thank you! Your votes are saved.")
    expect(receipt).to_contain_text("1 vote for Alix Earle, 3 votes for Robert Irwin")
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    when = page.inner_text("#receipt-when")
    assert not re.search(r"\d{4}-\d\d-\d\dT", when), when  # in words, not a raw timestamp
    first_hash = page.inner_text("#receipt-hash")
    assert re.fullmatch(r"[0-9a-f]{64}", first_hash)
    no_sideways_scroll(page)
    screenshot(page, "vote-phone-saved")
    screenshot(page, "vote-phone-view", full_page=False)

    # Back later: the saved ballot and its receipt are there, nothing reads 0.
    page.reload()
    expect(page.get_by_test_id("votes-robert")).to_have_text("3")
    expect(page.get_by_test_id("votes-alix")).to_have_text("1")
    expect(page.get_by_test_id("receipt")).to_contain_text("Welcome back")
    expect(page.locator("#receipt-hash")).to_have_text(first_hash)
    expect(page.get_by_test_id("unsaved")).to_be_hidden()

    # Editing shows unsaved changes, hides the old receipt and guards leaving the page.
    page.get_by_test_id("plus-hilaria").click()
    expect(page.get_by_test_id("unsaved")).to_be_visible()
    expect(page.get_by_test_id("receipt")).to_be_hidden()
    page.get_by_test_id("minus-hilaria").click()  # back to what is saved: nothing unsaved
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    expect(page.get_by_test_id("receipt")).to_be_visible()
    page.get_by_test_id("plus-hilaria").click()
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]

    # On another device the returning viewer gives only their email.
    other = _page(chromium, DESKTOP)
    other.goto(f"{base}/vote")
    other.fill("#email", "comeback.viewer@example.com")
    other.click("#signup")
    expect(other.get_by_test_id("signup-message-ok")).to_contain_text("We emailed a code")
    expect(other.locator("#newcomer")).to_be_hidden()
    other.fill("#code", emailed_code(base, "Comeback.Viewer@example.com"))
    other.click("#verify")
    expect(other.get_by_test_id("votes-robert")).to_have_text("3")
    expect(other.locator("#receipt-hash")).to_have_text(first_hash)
    screenshot(other, "vote-desktop-returning")

    # A new save supersedes the first receipt.
    other.get_by_test_id("plus-hilaria").click()
    other.click("#save")
    expect(other.get_by_test_id("receipt")).to_contain_text("1 vote for Hilaria Baldwin")
    RECEIPTS["superseded"] = first_hash
    RECEIPTS["current"] = other.inner_text("#receipt-hash")
    other.context.close()


def test_messages_are_in_words(server: Server, chromium: Browser) -> None:
    page = _page(chromium, PHONE, phone=True)
    page.goto(f"{server.base}/vote")
    page.fill("#email", "young.viewer@example.com")
    page.click("#first-time")
    page.fill("#age", "16")
    page.click("#signup")
    error = page.get_by_test_id("signup-message-error")
    expect(error).to_have_text("Voters must be 18 or older.")
    page.context.close()


def test_keyboard_only_voting_keeps_focus(server: Server, chromium: Browser) -> None:
    page = _page(chromium, DESKTOP)
    sign_up_and_in(page, server.base, "keys.only@example.com")
    # After the code, focus lands on the first couple's "+".
    assert _focused_test_id(page) == "plus-robert"
    for _ in range(11):  # one press past the cap
        page.keyboard.press("Enter")
    assert _focused_test_id(page) == "plus-robert"
    expect(page.get_by_test_id("votes-robert")).to_have_text("10")
    expect(page.get_by_test_id("cap-robert")).to_have_text("10 max")
    expect(page.get_by_test_id("plus-robert")).to_have_attribute("aria-disabled", "true")
    page.keyboard.press("Shift+Tab")
    assert _focused_test_id(page) == "minus-robert"
    page.keyboard.press("Space")
    assert _focused_test_id(page) == "minus-robert"
    expect(page.get_by_test_id("votes-robert")).to_have_text("9")
    expect(page.locator("#live-announcer")).to_contain_text("9 votes for Robert Irwin")
    # Tab on to the save button and save, without the mouse.
    page.focus("#save")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("receipt")).to_contain_text("9 votes for Robert Irwin")
    assert page.evaluate("document.activeElement.id") == "receipt"

    # Withdrawing every vote is a saved ballot too, after a confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#withdraw")
    expect(page.locator("#receipt-title")).to_have_text("Your votes are withdrawn.")
    expect(page.get_by_test_id("votes-robert")).to_have_text("0")
    expect(page.get_by_test_id("total")).to_have_text("0 votes given")
    expect(page.get_by_test_id("unsaved")).to_be_hidden()
    expect(page.locator("#withdraw")).to_be_hidden()
    page.context.close()


@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_the_judges_sheet_starts_empty_and_confirms(
    server: Server, chromium: Browser, size: str
) -> None:
    judge = "derek" if size == "tablet" else "bruno"
    page = _page(chromium, SIZES[size], phone=size == "phone")
    staff_log_in(page, server.base, "/judge", judge, "judge-demo")
    expect(page.locator("#sheet-section")).to_be_visible()
    expect(page.locator("#sheet-title")).to_have_text(
        "Scores of Derek Hough" if judge == "derek" else "Scores of Bruno Tonioli"
    )
    # Nothing is pre-set: no score is chosen anywhere on the sheet.
    assert page.locator("#sheet input[type=radio]:checked").count() == 0
    expect(page.get_by_test_id("keyed-robert-Dance")).to_have_text("not keyed")
    expect(page.get_by_test_id("perf-hilaria-Dance")).to_contain_text("Quickstep to “Cantina Band”")
    no_sideways_scroll(page)
    screenshot(page, f"judge-{size}")
    screenshot(page, f"judge-{size}-view", full_page=False)

    # Keying without a pick is refused beside the row, and nothing is keyed.
    page.get_by_test_id("key-robert-Dance").click()
    expect(page.locator("#msg-robert-Dance")).to_contain_text("Pick a score")
    page.locator("[data-testid=score-robert-Dance-9] + span").click()
    page.get_by_test_id("key-robert-Dance").click()
    expect(page.get_by_test_id("confirm-box-robert-Dance")).to_contain_text(
        "Key 9 for Robert Irwin?"
    )
    expect(page.get_by_test_id("keyed-robert-Dance")).to_have_text("not keyed")
    page.get_by_test_id("confirm-robert-Dance").click()
    expect(page.get_by_test_id("keyed-robert-Dance")).to_have_text("9")
    expect(page.locator("#msg-robert-Dance")).to_contain_text("Keyed 9 for Robert Irwin.")
    # The correction asks for a labelled reason.
    expect(page.get_by_label("Reason for the correction").first).to_be_visible()
    page.context.close()


def test_producer_confirms_and_the_open_vote_page_turns_closed(
    server: Server, chromium: Browser
) -> None:
    base = server.base
    key_the_rest(base, "s34w04", skip=("bruno", "andy"))
    viewer = _page(chromium, PHONE, phone=True)
    viewer.goto(f"{base}/vote")
    expect(viewer.get_by_test_id("window-phase")).to_have_text("Voting is open")

    control = _page(chromium, DESKTOP)
    staff_log_in(control, base, "/control", "producer", "producer-demo")
    expect(control.get_by_test_id("phase")).to_have_text("Voting is open")
    # Buttons follow the night: nothing to compute or reveal yet, nothing to open.
    expect(control.locator("#open-window")).to_be_disabled()
    expect(control.locator("#compute")).to_be_disabled()
    expect(control.locator("#reveal")).to_be_disabled()
    expect(control.get_by_test_id("grid-robert-derek")).to_have_text("9")
    expect(control.get_by_test_id("tally-total-robert")).not_to_have_text("0")
    no_sideways_scroll(control)
    screenshot(control, "control-desktop-open")

    # Close asks first; cancelling changes nothing.
    control.click("#close-window")
    expect(control.locator("#confirm")).to_be_visible()
    expect(control.locator("#confirm-title")).to_have_text("Close voting?")
    control.click("#confirm-no")
    expect(control.locator("#confirm")).to_be_hidden()
    expect(control.get_by_test_id("phase")).to_have_text("Voting is open")
    control.click("#close-window")
    control.click("#confirm-yes")
    expect(control.get_by_test_id("phase")).to_have_text("Voting has closed")
    expect(control.locator("#close-window")).to_be_disabled()

    # The viewer's open tab follows without a reload.
    expect(viewer.get_by_test_id("window-phase")).to_have_text("Voting has closed")
    expect(viewer.get_by_test_id("results-link")).to_be_visible()
    expect(viewer.locator("#save")).to_be_disabled()
    screenshot(viewer, "vote-phone-closed")

    # One score is missing: the lock is refused in words until its judge is declared absent.
    control.click("#lock")
    expect(control.locator("#confirm-title")).to_have_text("Lock the scores?")
    control.click("#confirm-yes")
    expect(control.get_by_test_id("results-message-error")).to_contain_text(
        "Some scores are still missing"
    )
    control.get_by_label("Bruno Tonioli is absent tonight (1 score missing)").check()
    control.get_by_label("Why Bruno Tonioli is absent").fill("lost his voice")
    control.click("#lock")
    control.click("#confirm-yes")
    expect(control.get_by_test_id("results-message-ok")).to_have_text("The scores are locked.")
    expect(control.locator("#absences")).to_be_empty()
    control.click("#compute")
    expect(control.get_by_test_id("eliminated")).to_contain_text("Eliminated")
    expect(control.get_by_test_id("margin")).to_contain_text("percentage points")
    control.click("#reveal")
    expect(control.locator("#confirm-title")).to_have_text("Reveal the results?")
    control.click("#confirm-yes")
    expect(control.get_by_test_id("results-message-ok")).to_contain_text("Revealed")
    expect(control.locator("#reveal")).to_be_disabled()
    # The audit log reads as sentences, not JSON.
    audit = control.get_by_test_id("audit-entry")
    expect(audit.first).to_contain_text("revealed the results of week 4 (Disney Night)")
    expect(control.locator("#audit")).to_contain_text("absent: Bruno Tonioli (“lost his voice”)")
    assert "{" not in " ".join(audit.all_inner_texts())
    screenshot(control, "control-desktop-revealed")
    control.evaluate("window.scrollTo(0, 0)")
    screenshot(control, "control-desktop-view", full_page=False)
    viewer.context.close()
    control.context.close()


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_results_headline_and_the_receipt_check(
    server: Server, chromium: Browser, size: str
) -> None:
    page = _page(chromium, SIZES[size], phone=size == "phone")
    page.goto(f"{server.base}/results")
    headline = page.get_by_test_id("eliminated")
    expect(headline).to_contain_text("goes home")
    eliminated_row = page.locator("tr.eliminated")
    expect(eliminated_row).to_have_count(1)
    # The explanation uses the table's own percentages and names.
    combined = eliminated_row.locator("td").last.inner_text()
    expect(page.locator("#explanation")).to_contain_text(combined)
    expect(page.locator("#explanation")).not_to_contain_text("robert")
    expect(page.get_by_test_id("week-4")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("chain-root")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    no_sideways_scroll(page)
    screenshot(page, f"results-{size}")
    screenshot(page, f"results-{size}-view", full_page=False)

    page.goto(f"{server.base}/receipt?code={RECEIPTS['superseded']}")
    expect(page.get_by_test_id("verdict")).to_contain_text("is in the vote log")
    expect(page.get_by_test_id("found-votes")).to_have_text(
        "1 vote for Alix Earle & Val Chmerkovskiy, 3 votes for Robert Irwin & Witney Carson"
    )
    expect(page.get_by_test_id("found-counts")).to_contain_text("No: the same voter saved")
    expect(page.get_by_test_id("root-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    no_sideways_scroll(page)
    screenshot(page, f"receipt-{size}")
    page.fill("#code", RECEIPTS["current"])
    page.click("#check")
    expect(page.get_by_test_id("found-counts")).to_contain_text("Yes")
    page.fill("#code", "not-a-receipt")
    page.click("#check")
    expect(page.get_by_test_id("check-message-error")).to_contain_text("64 characters")
    page.context.close()


@pytest.mark.parametrize("size", ["phone", "tablet", "desktop"])
def test_every_page_passes_axe_and_is_screenshotted(
    server: Server, chromium: Browser, size: str
) -> None:
    base = server.base
    pages: dict[str, Page] = {}
    for name in ("vote", "results", "receipt"):
        page = _page(chromium, SIZES[size], phone=size == "phone")
        page.goto(f"{base}/{name}")
        pages[name] = page
    judge = _page(chromium, SIZES[size], phone=size == "phone")
    staff_log_in(judge, base, "/judge", "carrie-ann", "judge-demo")
    expect(judge.locator("#sheet-section")).to_be_visible()
    pages["judge"] = judge
    control = _page(chromium, SIZES[size], phone=size == "phone")
    staff_log_in(control, base, "/control", "producer", "producer-demo")
    expect(control.get_by_test_id("phase")).to_have_text("Voting has closed")
    pages["control"] = control
    expect(pages["results"].get_by_test_id("eliminated")).to_contain_text("goes home")
    pages["receipt"].fill("#code", RECEIPTS["current"])
    pages["receipt"].click("#check")
    expect(pages["receipt"].get_by_test_id("verdict")).to_be_visible()

    expect(pages["control"].get_by_test_id("tally-total-robert")).not_to_have_text("0")
    found = {}
    for name, page in pages.items():
        screenshot(page, f"{name}-{size}-final")
        if name != "control" or size != "phone":  # the control room is a desk page
            no_sideways_scroll(page)
        violations = serious_violations(page)
        small = small_tap_targets(page)
        if small:
            violations.append({"id": "tap-target-under-44px", "nodes": small})
        if violations:
            found[name] = violations
        page.context.close()
    assert found == {}
