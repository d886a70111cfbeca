"""The control room's integrity review reading a window's log from the store (not a test).

    .venv/bin/python benchmarks/review_read.py --ballots 1000000              # both stores
    .venv/bin/python benchmarks/review_read.py --stores sqlite --keep         # keep the store
    .venv/bin/python benchmarks/review_read.py --stores postgresql --runs 3

Fills a SQLite file and a PostgreSQL schema with one window of about ``--ballots`` simulated
ballots (``ballroom.integrity.electorate``: organic fans, farms, bots, a campaign), written as
the vote-log writer writes them (the stored allocation JSON, the sha256 chain, the import
idempotency key, origin metadata) by a bulk insert (``executemany`` / ``COPY``) in a child
process. Then, side by side in one fresh process per store and run, on the same store, reads
the window into the ``VoteTable`` the analysis takes:

- ``columns``: ``read_window_columns`` (what ``IntegrityReview`` reads now);
- ``rows``: ``read_window_log(...)`` + ``.vote_table()`` + its voters (what it read before).

One JSON line per read: wall seconds, peak RSS during the read (sampled every 5 ms from
``/proc/self/statm``) and its growth over the RSS before it, then one line per store with the
ratios and the load average, and one with what the review reads on top of the columns (the
flagged voters' ballots, by their place in the log). The columnar read runs first: memory the
row read frees stays in the process and would flatter a read that came after it. The two
tables are checked equal.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import dataclasses
import gc
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.db import schema as db
from ballroom.adapters.vote_codec import allocation_json
from ballroom.bootstrap import stored_log, voting_service
from ballroom.domain.voting import GENESIS_HASH, Channel, canonical_bytes, chain_hash
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import DISNEY_NIGHT, SHOW_START, Campaign, Scenario, generate
from ballroom.seasons import bundled_season34
from ballroom.services.log_rows import read_window_ballots, read_window_columns, read_window_log
from ballroom.services.ports import FixedClock

WINDOW = "s34w04"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "review_read_bench"
BALLOTS_PER_VOTER = 4.8  # what the generator gives at its default rates
_INSERT_ROWS = 50_000
_COLUMNS = (
    "window_id", "seq", "ballot_id", "voter", "channel", "allocation", "ts_us", "hash",
    "prev_hash", "idempotency_key", "email", "phone", "ip", "device",
)  # fmt: skip


# --------------------------------------------------------------------------- filling a store


def _store_rows(ballots: int, seed: int) -> Iterator[list[tuple[Any, ...]]]:
    """The generated night's ballots as ``vote_log`` rows, chained, a batch at a time."""
    electorate = generate(
        Scenario(
            voters=max(200, round(ballots / BALLOTS_PER_VOTER)),
            couples=DISNEY_NIGHT,
            window=WINDOW,
            farms=max(3, ballots // 20_000),
            bots=max(1, ballots // 200_000),
            campaigns=(Campaign("hilaria", 0.03),),
            seed=seed,
        )
    )
    table = electorate.table
    ids = table.column("ballot_id").combine_chunks()
    starts = np.flatnonzero(
        np.concatenate([[True], pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)])
    )
    if len(starts) != len(pc.unique(ids)):
        raise SystemExit("the generator's rows of one ballot are not together")
    ends = np.append(starts[1:], table.num_rows)
    first = table.take(pa.array(starts))
    ballot_ids, voters, channels, emails, phones, ips, devices = (
        first.column(name).to_pylist()
        for name in ("ballot_id", "voter", "channel", "email", "phone", "ip", "device")
    )
    ts_us = first.column("ts").cast(pa.int64()).to_pylist()
    couples = table.column("couple").to_pylist()
    votes = table.column("votes").to_pylist()
    del table, first, electorate
    prev = GENESIS_HASH
    batch: list[tuple[Any, ...]] = []
    for index, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        seq = index + 1
        allocation = tuple(sorted(zip(couples[start:end], votes[start:end], strict=True)))
        channel = Channel(channels[index])
        ballot_id, voter = ballot_ids[index], voters[index]
        digest = chain_hash(
            prev, canonical_bytes(seq, WINDOW, ballot_id, voter, channel, ts_us[index], allocation)
        )
        batch.append((
            WINDOW, seq, ballot_id, voter, channel.value, allocation_json(allocation),
            ts_us[index], digest, prev, f"import:{ballot_id}", emails[index], phones[index],
            ips[index], devices[index],
        ))  # fmt: skip
        prev = digest
        if len(batch) == _INSERT_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def fill(url: str, ballots: int, seed: int) -> None:
    """A fresh window of about ``ballots`` ballots in the store at ``url``."""
    started = time.perf_counter()
    engine = create_engine_for(url)
    upgrade(engine)
    season = bundled_season34()
    with voting_service(engine, FixedClock(SHOW_START), group_commit_ms=0) as service:
        service.create_window(WINDOW, {c: season.couple(c).keyword for c in DISNEY_NIGHT})
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        total = 0
        for batch in _store_rows(ballots, seed):
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY vote_log ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(_COLUMNS))
                cursor.executemany(
                    f"INSERT INTO vote_log ({', '.join(_COLUMNS)}) VALUES ({marks})",
                    batch,
                )
            raw.commit()
            total += len(batch)
        if engine.dialect.name == "postgresql":
            cursor.execute("ANALYZE vote_log")
            raw.commit()
    finally:
        raw.close()
        engine.dispose()
    print(
        json.dumps(
            {
                "filled": url.split("?", maxsplit=1)[0],
                "ballots": total,
                "seconds": round(time.perf_counter() - started, 1),
            }
        ),
        file=sys.stderr,
    )


# --------------------------------------------------------------------------- measuring


class _RssPeak:
    """The highest resident set size seen while the block runs, sampled by a thread."""

    def __init__(self, every_s: float = 0.005) -> None:
        self._every = every_s
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._stop = threading.Event()
        self.before = self.peak = self._rss()

    def _rss(self) -> int:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.peak = max(self.peak, self._rss())

    def __enter__(self) -> _RssPeak:
        self.before = self.peak = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def _release() -> None:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to give back
        ctypes.CDLL(None).malloc_trim(0)


def _rows_path(engine: sa.Engine) -> tuple[Any, int, Any]:
    log = read_window_log(stored_log(engine), WINDOW)
    table = log.vote_table()
    voters = frozenset(log.voters())  # as the review kept them
    return table, len(voters), log


def _columns_path(engine: sa.Engine) -> tuple[Any, int, Any]:
    columns = read_window_columns(stored_log(engine), WINDOW)
    return columns.table, len(columns.voters), columns


def _measure(
    store: str, name: str, read: Callable[[sa.Engine], tuple[Any, int, Any]], engine: sa.Engine
) -> tuple[dict[str, Any], Any]:
    _release()
    with _RssPeak() as rss:
        started = time.perf_counter()
        table, voters, _ = read(engine)
        seconds = time.perf_counter() - started
    result = {
        "store": store,
        "read": name,
        "ballots": len(table.ballot),
        "rows": len(table),
        "voters": voters,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(rss.peak / 2**20),
        "rss_growth_mb": round((rss.peak - rss.before) / 2**20),
    }
    print(json.dumps(result), flush=True)
    return result, table


def _same(expected: Any, actual: Any, where: str = "table") -> None:
    if dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            _same(getattr(expected, field.name), getattr(actual, field.name), field.name)
    elif isinstance(expected, np.ndarray):
        if expected.dtype != actual.dtype or not np.array_equal(expected, actual):
            raise SystemExit(f"the two reads differ in {where}")
    elif isinstance(expected, pa.Array):
        if not expected.equals(actual):
            raise SystemExit(f"the two reads differ in {where}")
    elif expected != actual:
        raise SystemExit(f"the two reads differ in {where}")


def _flagged(store: str, engine: sa.Engine) -> None:
    """What the review reads on top of the columns: the flagged voters' ballots as entries."""
    columns = read_window_columns(stored_log(engine), WINDOW)
    flagged = analyze(columns.table).flagged_voters
    started = time.perf_counter()
    log = read_window_ballots(stored_log(engine), WINDOW, columns.seqs_of(flagged))
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "store": store,
                "read": "flagged voters' ballots",
                "voters": len(flagged),
                "ballots": len(log.entries),
                "seconds": round(seconds, 2),
            }
        ),
        flush=True,
    )


def measure(store: str, url: str) -> None:
    """Both reads of one store, side by side in this (fresh) process, and their ratios."""
    engine = create_engine_for(url)
    try:
        load = os.getloadavg()[0]
        columns, new = _measure(store, "columns", _columns_path, engine)
        rows, old = _measure(store, "rows", _rows_path, engine)
        _same(old, new)
        del old, new
        _flagged(store, engine)
        print(
            json.dumps(
                {
                    "store": store,
                    "speed_up": round(rows["seconds"] / columns["seconds"], 1),
                    "peak_rss_ratio": round(rows["peak_rss_mb"] / columns["peak_rss_mb"], 1),
                    "rss_growth_ratio": round(
                        rows["rss_growth_mb"] / max(1, columns["rss_growth_mb"]), 1
                    ),
                    "tables_equal": True,
                    "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
                    "cores": os.cpu_count(),
                }
            ),
            flush=True,
        )
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- command line


def _stores(args: argparse.Namespace) -> dict[str, str]:
    urls = {
        "sqlite": f"sqlite:///{args.sqlite}",
        "postgresql": f"{args.postgres}?options=-csearch_path%3D{SCHEMA}",
    }
    return {name: urls[name] for name in args.stores.split(",")}


def _drop(store: str, args: argparse.Namespace, *, recreate: bool = False) -> None:
    """Remove the benchmark's store (and make an empty one again when ``recreate``)."""
    if store == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.sqlite}{suffix}").unlink(missing_ok=True)
        return
    admin = sa.create_engine(args.postgres)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        if recreate:
            connection.execute(sa.text(f'CREATE SCHEMA "{SCHEMA}"'))
    admin.dispose()


def _held(url: str) -> int:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).where(db.vote_log.c.window_id == WINDOW)
                ).scalar_one()
            )
    except sa.exc.DBAPIError:
        return 0
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--sqlite", default="/tmp/ballroom-review-read.db")
    parser.add_argument("--postgres", default=POSTGRES, help="the server (a schema is made)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=34)
    parser.add_argument("--keep", action="store_true", help="keep the stores for another run")
    parser.add_argument("--fill-only", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", nargs=2, metavar=("STORE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill_only:
        fill(args.fill_only, args.ballots, args.seed)
        return
    if args.measure_only:
        measure(*args.measure_only)
        return
    for store, url in _stores(args).items():
        held = _held(url)
        if not held or abs(held - args.ballots) > args.ballots // 10:
            _drop(store, args, recreate=True)
            command = [sys.executable, __file__, "--fill-only", url, "--ballots", str(args.ballots)]
            subprocess.run([*command, "--seed", str(args.seed)], check=True)
        try:
            for _ in range(args.runs):  # each in a fresh process: no run inherits another's heap
                command = [sys.executable, __file__, "--measure-only", store, url]
                subprocess.run(command, check=True)
        finally:
            if not args.keep:
                _drop(store, args)


if __name__ == "__main__":
    main()
