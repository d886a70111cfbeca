"""Open streams share one look a second per thing followed (``api.watch``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ballroom.api import watch as watching
from ballroom.api.watch import watch

TICK = 0.01


@pytest.fixture(autouse=True)
def fast_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watching, "LOOK_EVERY_S", TICK)


class Window:
    """A window's status as the server would look it up, counting the looks."""

    def __init__(self) -> None:
        self.phase = "open"
        self.looks = 0

    async def look(self) -> dict[str, Any]:
        self.looks += 1
        return {"phase": self.phase}


async def _follow(window: Window, first: dict[str, Any], started: asyncio.Event) -> Any:
    async with watch("w1", window.look, first) as following:
        started.set()
        return await following.changed(first, timeout=5)


def test_many_streams_cost_one_look_a_tick_and_all_see_the_change() -> None:
    async def night() -> tuple[list[Any], int, float]:
        window = Window()
        first = await window.look()
        starts = [asyncio.Event() for _ in range(200)]
        streams = [asyncio.create_task(_follow(window, first, s)) for s in starts]
        for started in starts:
            await started.wait()
        looks_before = window.looks
        began = asyncio.get_running_loop().time()
        await asyncio.sleep(20 * TICK)
        window.phase = "closed"
        seen = await asyncio.gather(*streams)
        elapsed = asyncio.get_running_loop().time() - began
        return seen, window.looks - looks_before, elapsed

    seen, looks, elapsed = asyncio.run(night())
    assert seen == [{"phase": "closed"}] * 200
    # One look a tick for all 200 streams (each looking for itself: 200 a tick).
    assert looks <= elapsed / TICK + 2
    assert not watching._TICKERS  # the last stream gone, the ticker stopped


def test_a_quiet_window_times_out_and_the_ticker_stops_with_its_last_stream() -> None:
    async def night() -> Any:
        window = Window()
        first = await window.look()
        async with watch("w1", window.look, first) as following:
            assert len(watching._TICKERS) == 1
            quiet = await following.changed(first, timeout=5 * TICK)
        await asyncio.sleep(3 * TICK)
        looks = window.looks
        await asyncio.sleep(5 * TICK)
        assert window.looks == looks  # nobody watching: nobody looks
        return quiet

    assert asyncio.run(night()) is None
    assert not watching._TICKERS


def test_a_newer_status_from_a_stream_joining_reaches_the_others_never_an_older_one() -> None:
    async def night() -> list[Any]:
        window = Window()
        first = await window.look()
        started = asyncio.Event()
        earlier = asyncio.create_task(_follow(window, first, started))
        await started.wait()
        window.phase = "closed"
        joined = await window.look()  # a new stream's first status, before the ticker looks again
        async with watch("w1", window.look, joined) as following:
            unchanged = await following.changed(joined, timeout=5 * TICK)
            return [await earlier, unchanged]

    assert asyncio.run(night()) == [{"phase": "closed"}, None]


def test_a_failing_look_ends_every_stream_with_its_error() -> None:
    async def night() -> None:
        window = Window()
        first = await window.look()

        async def broken() -> dict[str, Any]:
            raise LookupError("the window is gone")

        async with watch("w1", broken, first) as following:
            with pytest.raises(LookupError, match="gone"):
                await following.changed(first, timeout=5)

    asyncio.run(night())
    assert not watching._TICKERS
