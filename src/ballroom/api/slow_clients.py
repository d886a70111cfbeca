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

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TIMEOUT_BODY = b'{"code":"request_timeout","message":"the request did not arrive in time; retry"}'
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY
)


def deadline_protocol(header_timeout_s: float, body_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the two deadlines (seconds)."""

    class DeadlineProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(header_timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm(header_timeout_s)

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._arm(body_timeout_s)

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._disarm()

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if cycle is None or not cycle.response_started:
                self.transport.write(_TIMED_OUT)
            self.transport.close()

    return DeadlineProtocol
