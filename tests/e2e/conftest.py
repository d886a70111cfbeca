"""Fixtures shared by the browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import sync_playwright
from serve_support import CHROMIUM, CHROMIUM_ARGS


def _chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"no chromium at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's chromium, launched through Playwright, closed after the test."""
    yield from _chromium()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium for a whole test module (its tests open their own contexts)."""
    yield from _chromium()
