"""The bare ASGI endpoint that ``ballroom bench http`` measures the web-ballot path against.

It reads the request body and answers a small receipt-shaped JSON object (about the size of
a real receipt, with an increasing ``seq`` so the wrk script treats both servers alike), and
does nothing else: no routing, no validation, no token check, no store. It runs under the
very uvicorn settings of ``ballroom serve`` (one process, uvloop and httptools when present,
log level warning, no access log).

    python benchmarks/baseline_asgi.py --host 127.0.0.1 --port 8001
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HASH = "0" * 64
# Fourteen couples, as a week-one receipt carries, so both servers send bodies of one size.
_ALLOCATION = ",".join(f'"couple{i:02d}":{i % 11}' for i in range(14))
_seq = itertools.count(1)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with a receipt-like JSON body; lifespan events are no-ops."""
    if scope["type"] == "lifespan":
        await serve_lifespan(receive, send)
        return
    more = True
    while more:  # drain the body, as a real endpoint must before answering
        message = await receive()
        more = message.get("more_body", False)
    seq = next(_seq)
    body = (
        f'{{"ballot_id":"b-{seq:016x}","seq":{seq},"window":"bench","channel":"web",'
        f'"allocation":{{{_ALLOCATION}}},"ts":"2025-01-01T00:00:00Z","hash":"{_HASH}"}}'
    ).encode()
    await send_json(send, body)


async def serve_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge the server's startup and shutdown; nothing to set up or tear down."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def send_json(send: Send, body: bytes, status: int = 200) -> None:
    """One whole JSON response."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    """Serve ``app`` with the uvicorn arguments ``ballroom serve`` uses."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    options = parser.parse_args()
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
