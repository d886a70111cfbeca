"""The durable floor that ``ballroom bench http --floor`` measures beside the web-ballot path.

The least any durable vote endpoint must do per request, under the very uvicorn settings of
``ballroom serve``: read the body, parse the JSON, give the ballot the next sequence number and
its sha256 chain hash, build the vote log's row and write it to the real ``vote_log`` table (the
project's migrations, SQLite WAL with ``synchronous=FULL``, the same four indexes) in a group
commit on a committer thread, and answer a receipt only once its commit is durable. Nothing
else: no token, window, couple, cap or idempotency check, no tally, no error handling beyond
uvicorn's. It shows how much of the bare endpoint's speed is left once a ballot is made durable
at all, before any rule of ours runs.

With ``--journal FILE`` instead of ``--db``, each group's rows are appended to a plain file
(one JSON line per row) and ``fdatasync``-ed once, with no database at all: the least *any*
durable endpoint can do, whatever its store.

    python benchmarks/floor_asgi.py --db sqlite:////tmp/floor.db --host 127.0.0.1 --port 8002
    python benchmarks/floor_asgi.py --journal /tmp/floor.journal --port 8003
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from baseline_asgi import Receive, Scope, Send, send_json, serve_lifespan  # run as a script

from ballroom.adapters.db import create_engine_for, schema, upgrade

_COLUMNS = tuple(column.name for column in schema.vote_log.columns)  # the real table's order
_INSERT = f"INSERT INTO vote_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_WINDOW = "floor"

Row = tuple[Any, ...]
GroupWriter = Callable[[list[Row]], None]  # makes one group of rows durable, then returns


def sqlite_writer(url: str) -> GroupWriter:
    """Rows into the real ``vote_log`` (migrations run first), one commit per group."""
    engine = create_engine_for(url)
    upgrade(engine)
    opened: list[Any] = []  # the committer thread's own connection, opened on first use

    def write(rows: list[Row]) -> None:
        if not opened:
            opened.append(engine.raw_connection())
        raw = opened[0]
        cursor = raw.cursor()
        cursor.executemany(_INSERT, rows)
        cursor.close()
        raw.commit()

    return write


def journal_writer(path: str) -> GroupWriter:
    """Rows appended to a plain file as JSON lines, one ``fdatasync`` per group."""
    journal = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    folder = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(folder)  # the new file's name is durable too
    finally:
        os.close(folder)

    def write(rows: list[Row]) -> None:
        pending = memoryview(b"".join(orjson.dumps(row) + b"\n" for row in rows))
        while pending:  # a short write leaves the rest for the next call
            pending = pending[os.write(journal, pending) :]
        os.fdatasync(journal)

    return write


class DurableFloor:
    """An ASGI app: every POST becomes one durable row (``write_group`` makes a group of them
    durable on the committer thread), then a receipt."""

    def __init__(self, write_group: GroupWriter) -> None:
        self.write_group = write_group
        self.prefix = secrets.token_hex(6)
        self.seq = itertools.count(1)
        self.head = "0" * 64
        self.waiting: list[tuple[Row, asyncio.Future[None]]] = []
        self.committing = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.batches: queue.SimpleQueue[list[tuple[Row, Any]]] = queue.SimpleQueue()
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

    def _committed(self, batch: list[tuple[Row, asyncio.Future[None]]]) -> None:
        """On the loop: answer a durable batch, start the next commit."""
        for _, done in batch:
            done.set_result(None)
        self.committing = False
        self._hand_over()

    def _commit_loop(self) -> None:
        while True:
            batch = self.batches.get()
            self.write_group([row for row, _ in batch])
            assert self.loop is not None  # set by the request that queued the batch
            self.loop.call_soon_threadsafe(self._committed, batch)


def main() -> None:
    """Serve the floor with the uvicorn arguments ``ballroom serve`` uses."""
    import uvicorn  # noqa: PLC0415 - only the server needs it

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--db", help="a SQLite URL (a scratch file)")
    store.add_argument("--journal", help="a plain file to append to, instead of a store")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    options = parser.parse_args()
    writer = sqlite_writer(options.db) if options.db else journal_writer(options.journal)
    app = DurableFloor(writer)
    uvicorn.run(app, host=options.host, port=options.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
