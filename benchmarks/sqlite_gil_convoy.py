"""SQLite inserts next to a thread that is busy in Python: the GIL convoy (not a test).

    .venv/bin/python benchmarks/sqlite_gil_convoy.py --rows 200000

Inserts the same wide vote-log rows (14 columns, the store's three unique indexes, WAL,
``synchronous=FULL``, 64 MB cache, commits of 10,000 rows) into a scratch file, each way twice:
alone, and while another thread spins in Python (as the vote writer does while it checks the
next batch). The ways: ``executemany`` (the committer's), and one ``INSERT ... SELECT ...
FROM json_each(?)`` per batch with the rows as a JSON array (the GIL is free for the whole
statement), once with all 14 columns in the JSON and once with only the 7 that vary. One JSON
line per run: rows/s, the inserting thread's CPU per row, the spinner's progress.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

import orjson

COLUMNS = ("window_id", "seq", "ballot_id", "voter", "channel", "allocation", "ts_us", "hash",
           "prev_hash", "idempotency_key", "email", "phone", "ip", "device")  # fmt: skip
TABLE = (
    "CREATE TABLE vote_log (window_id TEXT NOT NULL, seq INTEGER NOT NULL, ballot_id TEXT NOT "
    "NULL UNIQUE, voter TEXT NOT NULL, channel TEXT NOT NULL, allocation TEXT NOT NULL, ts_us "
    "INTEGER NOT NULL, hash TEXT NOT NULL, prev_hash TEXT NOT NULL, idempotency_key TEXT NOT "
    "NULL UNIQUE, email TEXT NOT NULL, phone TEXT NOT NULL, ip TEXT NOT NULL, device TEXT NOT "
    "NULL, PRIMARY KEY (window_id, seq))"
)
BATCH = 10_000
Row = tuple[Any, ...]


def _rows(count: int) -> list[Row]:
    rows = []
    for n in range(1, count + 1):
        digest = hashlib.sha256(str(n).encode()).hexdigest()
        phone = f"+1555{n % 33_333:07d}"
        rows.append(
            ("bench", n, f"9f2c41d07a6be3f18c5d2e44-{n}", phone, "sms", '{"robert":1}',
             1_760_000_000_000_000 + n // 2000, digest, digest, f"bench-{n // 2000}#{n % 2000}",
             "", phone, "", "")
        )  # fmt: skip
    return rows


def _executemany(connection: sqlite3.Connection, batch: list[Row]) -> None:
    marks = ", ".join("?" * len(COLUMNS))
    connection.executemany(f"INSERT INTO vote_log VALUES ({marks})", batch)


def _json_all(connection: sqlite3.Connection, batch: list[Row]) -> None:
    picks = ", ".join(f"value->>{i}" for i in range(len(COLUMNS)))
    statement = f"INSERT INTO vote_log SELECT {picks} FROM json_each(?)"
    connection.execute(statement, (orjson.dumps(batch).decode(),))


_VARYING = (1, 2, 3, 7, 8, 9, 11)  # seq, ballot id, voter, hash, prev hash, key, phone


def _json_varying(connection: sqlite3.Connection, batch: list[Row]) -> None:
    picks = []
    for column in range(len(COLUMNS)):
        picks.append(
            f"value->>{_VARYING.index(column)}" if column in _VARYING else f"?{column + 2}"
        )
    statement = f"INSERT INTO vote_log SELECT {', '.join(picks)} FROM json_each(?1)"
    varying = [tuple(row[c] for c in _VARYING) for row in batch]
    constants = [batch[0][c] for c in range(len(COLUMNS))]
    connection.execute(statement, (orjson.dumps(varying).decode(), *constants))


def _values(chunk: int) -> Callable[[sqlite3.Connection, list[Row]], None]:
    """One multi-row ``INSERT ... VALUES (...), (...)`` per ``chunk`` rows: one step per chunk."""
    one = "(" + ", ".join("?" * len(COLUMNS)) + ")"
    full = f"INSERT INTO vote_log VALUES {', '.join([one] * chunk)}"

    def insert(connection: sqlite3.Connection, batch: list[Row]) -> None:
        whole = len(batch) - len(batch) % chunk
        for start in range(0, whole, chunk):
            connection.execute(full, list(chain.from_iterable(batch[start : start + chunk])))
        if whole < len(batch):
            rest = batch[whole:]
            statement = f"INSERT INTO vote_log VALUES {', '.join([one] * len(rest))}"
            connection.execute(statement, list(chain.from_iterable(rest)))

    return insert


WAYS: dict[str, Callable[[sqlite3.Connection, list[Row]], None]] = {
    "executemany": _executemany,
    "values-256": _values(256),
    "values-1024": _values(1024),
    "values-2048": _values(2048),
    "json-14-columns": _json_all,
    "json-7-varying": _json_varying,
}


def _run(path: Path, rows: list[Row], way: str, spin: bool) -> dict[str, Any]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA cache_size=-65536")
    connection.execute(TABLE)
    stop = threading.Event()
    spins = [0]

    def spinner() -> None:
        while not stop.is_set():
            for _ in range(1000):
                pass
            spins[0] += 1

    thread = threading.Thread(target=spinner)
    if spin:
        thread.start()
    insert = WAYS[way]
    started, cpu = time.perf_counter(), time.thread_time()
    for start in range(0, len(rows), BATCH):
        connection.execute("BEGIN")
        insert(connection, rows[start : start + BATCH])
        connection.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
    stop.set()
    if spin:
        thread.join()
    stored = connection.execute("SELECT count(*) FROM vote_log").fetchone()[0]
    connection.close()
    if stored != len(rows):
        raise SystemExit(f"{way}: {stored} rows stored, expected {len(rows)}")
    return {
        "way": way,
        "beside_spinning_thread": spin,
        "rows_per_s": round(len(rows) / elapsed),
        "inserter_cpu_us_per_row": round(cpu * 1e6 / len(rows), 2),
        "spinner_k_loops_per_s": round(spins[0] / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--way", action="append", choices=sorted(WAYS), help="default: all")
    parser.add_argument("--switch-interval-ms", type=float, default=5.0)
    parser.add_argument(
        "--beside",
        choices=("both", "nothing", "spinner"),
        default="both",
        help="run alone, next to the spinning thread, or both (default)",
    )
    args = parser.parse_args()
    sys.setswitchinterval(args.switch_interval_ms / 1000)
    rows = _rows(args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "convoy.db"
        spins = {"both": (False, True), "nothing": (False,), "spinner": (True,)}[args.beside]
        for spin in spins:
            for way in args.way or WAYS:
                print(json.dumps(_run(path, rows, way, spin)), flush=True)


if __name__ == "__main__":
    main()
