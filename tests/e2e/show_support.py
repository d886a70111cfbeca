"""Helpers of the page-by-page browser tests: sizes, screenshots, codes, axe-core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
DESKTOP = {"width": 1440, "height": 900}
SIZES = {"phone": PHONE, "tablet": TABLET, "desktop": DESKTOP}

ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot kept under tests/e2e/artifacts/screenshots (not committed; the README's
    copies in docs/screenshots are viewport shots, ``full_page=False``, of these pages)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_sideways_scroll(page: Page) -> None:
    """The page is no wider than the viewport (nothing to scroll sideways)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px viewport"


def producer_token(base: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/sessions", json={"name": "producer", "password": "producer-demo"}
    )
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


def emailed_code(base: str, email: str) -> str:
    """The newest one-time code mailed to ``email``, read from the outbox as a producer."""
    answer = httpx.get(
        f"{base}/api/v1/outbox?limit=50",
        headers={"Authorization": f"Bearer {producer_token(base)}"},
    )
    answer.raise_for_status()
    for message in answer.json()["messages"]:
        if message["to"].lower() == email.lower():
            found = re.search(r"\b(\d{6})\b", message["body"])
            assert found is not None, message
            return found.group(1)
    raise AssertionError(f"no code was mailed to {email}")


def key_the_rest(base: str, window: str, *, skip: tuple[str, str] | None = None) -> None:
    """Every judge keys every couple not keyed yet, with distinct totals from the top of the
    running order down (so the bottom of the night is never a tie); ``skip`` (judge, couple)
    leaves one score missing."""
    night = httpx.get(f"{base}/api/v1/nights/{window}").json()
    for judge, step in (("carrie-ann", 1), ("derek", 2), ("bruno", 3)):
        answer = httpx.post(
            f"{base}/api/v1/sessions", json={"name": judge, "password": "judge-demo"}
        )
        headers = {"Authorization": f"Bearer {answer.json()['token']}"}
        for index, couple in enumerate(night["couples"]):
            if (judge, couple["id"]) == skip:
                continue
            score = max(1, 10 - index // step) if step > 1 else max(1, 10 - index)
            keyed = httpx.put(
                f"{base}/api/v1/nights/{window}/scores",
                json={"couple": couple["id"], "round": "Dance", "score": score},
                headers=headers,
            )
            assert keyed.status_code in {200, 422}, keyed.text  # 422: keyed on the page


def sign_up_and_in(page: Page, base: str, email: str, *, age: str = "34") -> None:
    """A first-time viewer on /vote: email, then age and region, then the emailed code."""
    page.goto(f"{base}/vote")
    page.fill("#email", email)
    page.click("#first-time")
    expect(page.locator("#newcomer")).to_be_visible()
    page.fill("#age", age)
    page.select_option("#region", "US")
    page.click("#signup")
    expect(page.get_by_test_id("signup-message-ok")).to_contain_text("We emailed a code")
    page.fill("#code", emailed_code(base, email))
    page.click("#verify")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(email)


def staff_log_in(page: Page, base: str, path: str, name: str, password: str) -> None:
    page.goto(f"{base}{path}")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def small_tap_targets(page: Page) -> list[str]:
    """Visible buttons, selects and inputs (not checkboxes) smaller than 44 by 44 CSS px."""
    found: list[str] = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              "button, select, input:not([type=checkbox]):not([type=radio]), .scores label span"))
            .filter((el) => el.offsetParent !== null)
            .filter((el) => { const r = el.getBoundingClientRect();
                              return r.height < 44 || (el.tagName === "BUTTON" && r.width < 44); })
            .map((el) => `${el.tagName.toLowerCase()}#${el.id || el.dataset.testid || ""}`)"""
    )
    return found
