"""Slow clients are cut off: deadlines for a request's headers and for its body.

A client that opens connections and then sends its request a byte at a time (slowloris) holds
a connection and a socket for as long as it likes unless the server sets a deadline: uvicorn
times out only idle keep-alive connections. This HTTP protocol (uvicorn's httptools one, with
timers) gives a connection ``header_timeout_s`` from its first byte (or from its opening) to
finish the request line and headers, and then ``body_timeout_s`` to deliver the whole body;
past either deadline it answers ``408 Request Timeout`` (when no response has begun) and
closes. A request being served, and a response being streamed, have no deadline here.

``ballroom serve`` also caps the connections it holds (the setting ``max_connections``,
uvicorn's ``limit_concurrency``): past it, new requests are answered ``503`` at once.
"""

from __future__ import annotations

import asyncio
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_BODY = b'{"code":"request_timeout","message":"the request did not arrive in time; retry"}'
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


def deadline_protocol(header_timeout_s: float, body_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the two deadlines (seconds).

    A connection only notes when its current deadline falls (a clock read per request); one
    timer per server looks over the open connections a few times per deadline and cuts off
    those past theirs. A timer per request (armed at its start, re-armed after its headers,
    cancelled at its end) cost the event loop several timer operations per ballot. A deadline
    is so kept within a quarter of the shorter one.
    """
    sweep_every_s = min(header_timeout_s, body_timeout_s) / 4
    live: set[DeadlineProtocol] = set()
    sweeping: list[asyncio.TimerHandle] = []  # the one pending sweep, if any

    def sweep() -> None:
        sweeping.clear()
        now = time.monotonic()
        for protocol in list(live):
            due = protocol.deadline_at
            if due is not None and now >= due:
                protocol.too_slow()
        if live:
            watch_from(next(iter(live)).loop)

    def watch_from(loop: asyncio.AbstractEventLoop) -> None:
        if not sweeping:
            sweeping.append(loop.call_later(sweep_every_s, sweep))

    class DeadlineProtocol(HttpToolsProtocol):
        deadline_at: float | None = None  # time.monotonic() past which the client is too slow

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self.deadline_at = time.monotonic() + header_timeout_s
            live.add(self)
            watch_from(self.loop)

        def connection_lost(self, exc: Exception | None) -> None:
            self.deadline_at = None
            live.discard(self)
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.deadline_at = time.monotonic() + header_timeout_s

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self.deadline_at = time.monotonic() + body_timeout_s

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self.deadline_at = None

        def too_slow(self) -> None:
            self.deadline_at = None
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if cycle is None or not cycle.response_started:
                self.transport.write(_TIMED_OUT)
            self.transport.close()

    return DeadlineProtocol
