"""One look a second at a window's status, shared by every open status stream of a process.

The phase follows the server's clock (a scheduled close passes with no action), so the status
is looked at each second rather than waited for. One ticker per window (and event loop) does
the looking and wakes the streams only when the status changed: a thousand open voting pages
cost one look a second, not a thousand. The ticker stops when its last stream goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

STATUS_POLL_S = 1.0

Status = dict[str, Any]


class _Ticker:
    def __init__(self, look: Callable[[], Status], first: Status) -> None:
        self.look = look
        self.latest = first
        self.error: BaseException | None = None
        self.listeners: set[asyncio.Event] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(STATUS_POLL_S)
            try:
                now = self.look()
            except Exception as error:  # the streams end with it, as each did on its own
                self.error = error
                self.wake_all()
                return
            if now != self.latest:
                self.latest = now
                self.wake_all()

    def wake_all(self) -> None:
        for wake in self.listeners:
            wake.set()


_TICKERS: dict[tuple[int, Hashable], _Ticker] = {}


class StatusWatch:
    """A stream's view of its window's ticker."""

    def __init__(self, ticker: _Ticker, wake: asyncio.Event) -> None:
        self._ticker = ticker
        self._wake = wake

    async def changed(self, since: Status, timeout: float) -> Status | None:
        """The status once it differs from ``since``; None when it has not within ``timeout``
        seconds. Raises what the last look raised."""
        self._wake.clear()
        while True:
            if self._ticker.error is not None:
                raise self._ticker.error
            if self._ticker.latest != since:
                return self._ticker.latest
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None
            self._wake.clear()


@asynccontextmanager
async def watch_status(
    key: Hashable, look: Callable[[], Status], first: Status
) -> AsyncIterator[StatusWatch]:
    """Join (or start) the ticker of ``key`` (one per window and app); ``look`` gives the
    status, ``first`` is what the stream has already sent."""
    loop_key = (id(asyncio.get_running_loop()), key)
    ticker = _TICKERS.get(loop_key)
    if ticker is None:
        ticker = _TICKERS[loop_key] = _Ticker(look, first)
        ticker.task = asyncio.create_task(ticker.run())
    elif first != ticker.latest:
        # Looked at just now, so newer than the ticker's last look: the others get it too
        # (never an older status after a newer one).
        ticker.latest = first
        ticker.wake_all()
    wake = asyncio.Event()
    ticker.listeners.add(wake)
    try:
        yield StatusWatch(ticker, wake)
    finally:
        ticker.listeners.discard(wake)
        if not ticker.listeners and _TICKERS.get(loop_key) is ticker:
            del _TICKERS[loop_key]
            if ticker.task is not None:
                ticker.task.cancel()
