"""The durable floor that ``ballroom bench http --floor`` measures beside the web-ballot path.

The least any durable vote endpoint must do per request, under the very uvicorn settings of
``ballroom serve``: read the body, parse the JSON, give the ballot the next sequence number and
its sha256 chain hash, build the vote log's row and write it to the real ``vote_log`` table (the
project's migrations, SQLite WAL with ``synchronous=FULL``, the same four indexes) in a group
commit on a committer thread, and answer a receipt only once its commit is durable. Nothing
else: no token, window, couple, cap or idempotency check, no tally, no error handling beyond
uvicorn's. It shows how much of the bare endpoint's speed is left once a ballot is made durable
at all, before any rule of ours runs.

    python benchmarks/floor_asgi.py --db sqlite:////tmp/floor.db --host 127.0.0.1 --port 8002
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import queue
import secrets
import threading
import time
from typing import Any

import orjson
from baseline_asgi import Receive, Scope, Send, send_json, serve_lifespan  # run as a script

from ballroom.adapters.db import create_engine_for, schema, upgrade

_COLUMNS = tuple(column.name for column in schema.vote_log.columns)  # the real table's order
_INSERT = f"INSERT INTO vote_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_WINDOW = "floor"


class DurableFloor:
    """An ASGI app: every POST becomes one committed ``vote_log`` row, then a receipt."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine_for(url)
        upgrade(self.engine)
        self.prefix = secrets.token_hex(6)
        self.seq = itertools.count(1)
        self.head = "0" * 64
        self.waiting: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self.committing = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.batches: queue.SimpleQueue[list[tuple[tuple[Any, ...], Any]]] = queue.SimpleQueue()
        threading.Thread(target=self._commit_loop, name="floor-commit", daemon=True).start()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["method"] != "POST":  # the harness's /healthz
            await send_json(send, b"{}")
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        allocation = orjson.loads(body)["allocation"]
        key = b""
        for name, value in scope["headers"]:
            if name == b"idempotency-key":
                key = value
        seq = next(self.seq)
        prev, ts_us = self.head, time.time_ns() // 1000
        digest = hashlib.sha256(prev.encode() + body).hexdigest()
        self.head = digest
        stored = orjson.dumps(allocation, option=orjson.OPT_SORT_KEYS).decode()
        row = (_WINDOW, seq, f"{self.prefix}-{seq}", "voter", "web", stored, ts_us, digest, prev)
        row += (key.decode("latin-1"), "", "", "", "")
        self.loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = self.loop.create_future()
        self.waiting.append((row, done))
        if not self.committing:
            self._hand_over()
        await done
        receipt = orjson.dumps(
            {"ballot_id": row[2], "seq": seq, "window": _WINDOW, "channel": "web",
             "allocation": allocation, "ts_us": ts_us, "hash": digest}
        )  # fmt: skip
        await send_json(send, receipt)

    def _hand_over(self) -> None:
        """On the loop: everything waiting goes into the next commit (the group commit)."""
        if self.waiting:
            batch, self.waiting = self.waiting, []
            self.committing = True
            self.batches.put(batch)

    def _committed(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[None]]]) -> None:
        """On the loop: answer a durable batch, start the next commit."""
        for _, done in batch:
            done.set_result(None)
        self.committing = False
        self._hand_over()

    def _commit_loop(self) -> None:
        raw: Any = self.engine.raw_connection()
        while True:
            batch = self.batches.get()
            cursor = raw.cursor()
            cursor.executemany(_INSERT, [row for row, _ in batch])
            cursor.close()
            raw.commit()
            assert self.loop is not None  # set by the request that queued the batch
            self.loop.call_soon_threadsafe(self._committed, batch)


def main() -> None:
    """Serve the floor with the uvicorn arguments ``ballroom serve`` uses."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a SQLite URL (a scratch file)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    options = parser.parse_args()
    app = DurableFloor(options.db)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
