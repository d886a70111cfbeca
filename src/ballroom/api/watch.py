"""One look a second at something a stream follows, shared by every open stream of a process.

A window's phase follows the server's clock (a scheduled close passes with no action), and a
night's score sheet changes in the store, where any server process may write it: both are
looked at each second rather than waited for. One ticker per thing followed (and event loop)
does the looking and wakes the streams only when it changed: a thousand open voting pages
cost one look a second, not a thousand. The ticker stops when its last stream goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

LOOK_EVERY_S = 1.0

Status = dict[str, Any]
Look = Callable[[], Awaitable[Status]]


class _Ticker:
    def __init__(self, look: Look, first: Status) -> None:
        self.look = look
        self.latest = first
        self.error: BaseException | None = None
        self.listeners: set[asyncio.Event] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(LOOK_EVERY_S)
            try:
                now = await self.look()
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


class Watch:
    """A stream's view of its ticker."""

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
async def watch(key: Hashable, look: Look, first: Status) -> AsyncIterator[Watch]:
    """Join (or start) the ticker of ``key`` (one per thing followed and app); ``look`` gives
    the thing's state now, ``first`` is what the stream has already sent."""
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
        yield Watch(ticker, wake)
    finally:
        ticker.listeners.discard(wake)
        if not ticker.listeners and _TICKERS.get(loop_key) is ticker:
            del _TICKERS[loop_key]
            if ticker.task is not None:
                ticker.task.cancel()
