"""Glue between the HTTP routes and the voting service: shapes in, futures awaited, dicts out.

Kept apart from ``routes`` so the hot ballot path is easy to read and measure. Nothing here
decides anything: the voting service validates windows, couples, caps and idempotency.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Hashable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from starlette.concurrency import run_in_threadpool

from ballroom.api.models import SmsMessageBody
from ballroom.api.watch import Look, watch
from ballroom.domain.voting import LogEntry, Receipt, SmsMessage, Tally, datetime_from_us
from ballroom.services.accounts import Principal

if TYPE_CHECKING:
    from ballroom.bootstrap import App

SSE_KEEPALIVE_S = 15.0


def status(app: App, window: str) -> dict[str, Any]:
    """The window's phase (by the server's clock) and couples."""
    state = app.voting.window_status(window)
    return {
        "window": state.id,
        "season": state.season,
        "label": state.label,
        "phase": str(state.phase),
        "open": state.is_open,
        "couples": dict(state.couples),
        "opens_at": _iso(state.opens_at),
        "closes_at": _iso(state.closes_at),
        "scheduled_open": _iso(state.scheduled_open),
        "scheduled_close": _iso(state.scheduled_close),
        "cap": app.voting.cap,
    }


def tallies(app: App, who: Principal, window: str) -> dict[str, Any]:
    """The window's live tally (the service decides who may see it)."""
    return dict(app.voting.tallies_for(who, window).as_dict())


async def cast_web_ballot(
    app: App,
    who: Principal,
    window: str,
    allocation: Mapping[str, int],
    *,
    key: str,
    ip: str,
    device: str,
) -> dict[str, Any]:
    """Queue the ballot for the next group commit and answer its receipt once committed.

    ``ip`` and ``device`` (the user agent) are kept with the ballot for the integrity checks.
    """
    receipt = await app.voting.submit_voter_ballot_async(
        who, window, allocation, idempotency_key=key, ip=ip, device=device
    )
    return receipt_dict(receipt)


def receipt_dict(receipt: Receipt) -> dict[str, Any]:
    """``receipt.as_dict()``, with the time formatted from a per-second cache: every ballot
    answers one, and ``datetime`` formatting was a few percent of the event loop's time."""
    whole, micros = divmod(receipt.ts_us, 1_000_000)
    second = _iso_second(whole)
    return {
        "ballot_id": receipt.ballot_id,
        "seq": receipt.seq,
        "window": receipt.window,
        "channel": str(receipt.channel),
        "allocation": dict(receipt.allocation),
        "ts": f"{second}.{micros:06d}Z" if micros else f"{second}Z",
        "hash": receipt.hash,
    }


@functools.lru_cache(maxsize=8)
def _iso_second(whole_seconds: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC) of a Unix second, as ``datetime.isoformat`` writes it."""
    return datetime_from_us(whole_seconds * 1_000_000).isoformat().removesuffix("+00:00")


async def ingest_sms(app: App, messages: Sequence[SmsMessageBody], key: str) -> dict[str, Any]:
    """Queue an aggregator batch; answer one outcome (and the reply text) per message."""
    batch = [
        SmsMessage(phone=m.sender, body=m.body, to=m.to, received_at=m.ts, message_id=m.id)
        for m in messages
    ]
    outcomes = await app.voting.submit_sms_async(batch, idempotency_key=key)
    return {"outcomes": [outcome.as_dict() for outcome in outcomes]}


def my_ballot(app: App, who: Principal, window: str) -> dict[str, Any]:
    """The voter's web ballot that counts now in ``window``, as its receipt (or null)."""
    entry = app.voting.my_web_ballot(who, window)
    return {"window": window, "ballot": None if entry is None else _entry(entry)}


def _entry(entry: LogEntry) -> dict[str, Any]:
    """A logged ballot as its receipt shows it."""
    return {
        "ballot_id": entry.ballot_id,
        "seq": entry.seq,
        "window": entry.window,
        "channel": str(entry.channel),
        "allocation": dict(entry.allocation),
        "ts": _iso(entry.ts),
        "hash": entry.hash,
    }


def chain(app: App, window: str) -> dict[str, Any]:
    """The window's chain root: the hash of its last entry, and how many entries it has."""
    return {"root": app.voting.chain_root(window), "entries": app.voting.tallies(window).version}


def receipt(app: App, ballot_hash: str) -> dict[str, Any]:
    """The logged ballot behind a receipt hash, and whether the chain around it holds.

    Until the night's results are revealed a receipt names no other ballot: its
    ``prev_hash`` would let anyone holding one receipt walk the live log backwards and read
    the running vote. After the reveal the log is published, and the chain walk with it."""
    check = app.voting.verify_receipt(ballot_hash)
    entry = check.entry
    published = app.control.published(entry.window)
    return {
        "superseded": app.voting.superseded(entry),
        **_entry(entry),
        "prev_hash": entry.prev_hash if published else None,
        "content_ok": check.content_ok,
        "linked_ok": check.linked_ok,
        "ok": check.ok,
    }


def status_events(
    app: App, window: str, first: dict[str, Any], limit: int | None
) -> AsyncIterator[bytes]:
    """Server-sent events: the window's status now, then each time it changes (looked at
    once a second per window and process, for all its streams: ``api.watch``)."""

    async def look() -> dict[str, Any]:
        return status(app, window)  # in memory: no thread needed

    return _followed("status", ("status", id(app), window), look, first, limit)


def score_events(
    app: App, who: Principal, window: str, first: dict[str, Any], limit: int | None
) -> AsyncIterator[bytes]:
    """Server-sent events: the night's score sheet now, then each time it changes (a judge
    keys a score, the producer locks): looked at in the store once a second per night and
    process, for all its streams; ``who`` was allowed to see it (``first``)."""

    async def look() -> dict[str, Any]:
        return await run_in_threadpool(app.control.scores, who, window)

    return _followed("scores", ("scores", id(app), window), look, first, limit)


async def _followed(
    name: str, key: Hashable, look: Look, first: dict[str, Any], limit: int | None
) -> AsyncIterator[bytes]:
    """``first`` as a ``name`` event, then each change ``watch(key, look)`` sees (a keep-alive
    comment when quiet), until ``limit`` events."""
    yield _event(name, first)
    if limit is not None and limit <= 1:
        return
    sent, last = 1, first
    async with watch(key, look, first) as following:
        while limit is None or sent < limit:
            now = await following.changed(last, SSE_KEEPALIVE_S)
            if now is None:
                yield b": keep-alive\n\n"
                continue
            yield _event(name, now)
            sent, last = sent + 1, now


async def tally_events(
    app: App, window: str, first: dict[str, Any], limit: int | None
) -> AsyncIterator[bytes]:
    """Server-sent events: the tally now, then each newer committed tally.

    The writer thread calls back after each commit; the loop keeps only the latest tally
    (a slow reader skips versions instead of queueing them).
    """
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    latest: list[Tally] = []

    def on_commit(tally: Tally) -> None:
        def hand_over() -> None:
            latest[:] = [tally]
            changed.set()

        loop.call_soon_threadsafe(hand_over)

    subscription = app.voting.subscribe(window, on_commit)
    try:
        yield _event("tally", first)
        sent = 1
        last_version = first.get("version", -1)
        while limit is None or sent < limit:
            try:
                await asyncio.wait_for(changed.wait(), SSE_KEEPALIVE_S)
            except TimeoutError:
                # A comment line keeps proxies from closing a quiet stream.
                yield b": keep-alive\n\n"
                continue
            changed.clear()
            tally = latest[0]
            if tally.version == last_version:
                continue
            last_version = tally.version
            yield _event("tally", tally.as_dict())
            sent += 1
    finally:
        subscription.close()


def _event(name: str, data: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
