"""``ballroom bench ingest``: the capped, durable bulk vote path against a bare insert.

Both sides run in the same process on the same store, one after the other, with the same
rows and the same commit size (docs/interfaces.md §5):

- **bulk path**: SMS-gateway batches through ``VotingService.submit_sms``: keyword parsing,
  sender check, exact per-voter caps, the hash chain, idempotency, refusal records, one durable
  commit per group, the live tally; timed from the first submit to the last answer.
- **baseline**: the very rows the bulk path wrote to ``vote_log``, re-inserted into an
  identical table (same columns and indexes) with a bare ``executemany`` (SQLite) or ``COPY``
  (PostgreSQL), committing every ``commit`` rows with the same durability settings.

With ``--peers``, the same texts also go through peer implementations of the same capped job
(a Redis Lua cap script, a PostgreSQL capped upsert; see ``bench_peers``), in the same process
right after, and the report gains ``peers``, ``vs_peers`` and ``peers_agree``.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for
from ballroom.adapters.db import schema as db
from ballroom.bootstrap import open_store, voting_service
from ballroom.cli._common import reports_errors, settled_heap
from ballroom.domain.voting import SmsMessage
from ballroom.errors import InvalidInput
from ballroom.services.ports import SystemClock
from ballroom_bench.peers import DEFAULT_REDIS, check_peers, run_peers

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
COUPLES = ("robert", "alix", "jordan", "dylan", "elaine", "whitney", "andy", "danielle")
_COLUMNS = tuple(c.name for c in db.vote_log.columns)


@click.command("ingest")
@click.option("--store", type=click.Choice(["sqlite", "postgresql"]), default="sqlite")
@click.option("--db", "db_url", default=None, help="Store URL (default: a scratch one).")
@click.option("--votes", default=200_000, show_default=True, help="Texts to ingest.")
@click.option("--batch", default=2000, show_default=True, help="Texts per SMS gateway batch.")
@click.option(
    "--commit",
    default=10_000,
    show_default=True,
    help="Rows per commit, both sides: the writer's group size and the bare insert's batch.",
)
@click.option(
    "--phones",
    default=None,
    type=int,
    help="Distinct senders (default: votes / 6, so the cap of 10 never bites).",
)
@click.option(
    "--peers",
    is_flag=True,
    help="Also run a Redis Lua cap script and a PostgreSQL capped upsert on the same texts.",
)
@click.option("--redis", "redis_url", default=DEFAULT_REDIS, show_default=True)
@click.option(
    "--peers-db",
    default=None,
    help="PostgreSQL server for the upsert peer (default: --db on postgresql, else local).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON object.")
@reports_errors
def ingest(
    store: str,
    db_url: str | None,
    votes: int,
    batch: int,
    commit: int,
    phones: int | None,
    peers: bool,
    redis_url: str,
    peers_db: str | None,
    as_json: bool,
) -> None:
    """Measure SMS-batch ingestion (caps, chain, durable commit) against a bare insert."""
    if votes < batch or batch < 1:
        raise InvalidInput("--votes must be at least --batch, and --batch positive", field="votes")
    if commit < 1:
        raise InvalidInput("--commit must be positive", field="commit")
    if phones is not None and phones < 1:
        raise InvalidInput("--phones must be positive", field="phones")
    if peers_db is None:
        peers_db = db_url if store == "postgresql" and db_url else DEFAULT_POSTGRES
    if peers:
        check_peers(redis_url, peers_db)
    with _scratch_store(store, db_url) as url:
        report = run_ingest(
            url,
            votes=votes,
            batch=batch,
            commit=commit,
            phones=phones,
            peers={"redis_url": redis_url, "postgres_url": peers_db} if peers else None,
        )
    if not as_json:
        click.echo(
            f"{report['store']}: {report['votes_per_s']:,.0f} votes/s capped and durable vs "
            f"{report['baseline']['rows_per_s']:,.0f} rows/s bare "
            f"{report['baseline']['name']} = {report['ratio']:.2f}x",
            err=True,
        )
        for peer in report.get("peers", []):
            click.echo(
                f"  peer {peer['name']}: {peer['votes_per_s']:,.0f} votes/s "
                f"({'durable' if peer['durable'] else 'NOT durable'}), us / peer = "
                f"{report['vs_peers'][peer['name']]:.2f}x, same accepted count: "
                f"{peer['same_accepted']}",
                err=True,
            )
    click.echo(json.dumps(report))


@contextmanager
def _scratch_store(store: str, url: str | None) -> Iterator[str]:
    if store == "sqlite":
        if url is not None:
            yield url
            return
        with tempfile.TemporaryDirectory(prefix="ballroom-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin = create_engine_for(url or DEFAULT_POSTGRES)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        base = admin.url.render_as_string(hide_password=False)
        joiner = "&" if "?" in base else "?"
        yield f"{base}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _messages(votes: int, seed: int = 34, phones: int | None = None) -> list[SmsMessage]:
    """Texts from ``phones`` senders (default votes/6: about 6 texts each over 8 couples).

    Fewer senders make the cap of 10 per couple bite, so that refusals are exercised.
    """
    rng = random.Random(seed)
    senders = [f"+1555{n:07d}" for n in range(phones or max(1, votes // 6))]
    keywords = [c.upper() for c in COUPLES]
    return [SmsMessage(rng.choice(senders), rng.choice(keywords)) for _ in range(votes)]


def run_ingest(
    url: str,
    *,
    votes: int,
    batch: int,
    commit: int = 10_000,
    phones: int | None = None,
    peers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run both sides on the store at ``url``; return the docs/interfaces.md §5 object.

    ``batch`` texts per gateway request; ``commit`` rows at most per durable commit on both
    sides (the writer groups queued requests up to that size; the bare insert commits every
    ``commit`` rows). ``peers`` (``redis_url``, ``postgres_url``) also runs the peer
    implementations of ``bench_peers`` on the same texts, after both sides.
    """
    engine = open_store(url)
    peer_reports: list[dict[str, Any]] | None = None
    try:
        messages = _messages(votes, phones=phones)
        batches = [messages[i : i + batch] for i in range(0, len(messages), batch)]
        # The pre-built texts are the gateway's, not the server's: keep them out of the
        # garbage collector's full passes, which would otherwise walk them hundreds of times.
        gc.collect()
        gc.freeze()
        service = voting_service(
            engine, SystemClock(), batch_size=commit, group_commit_ms=0, partitions=8
        )
        # Enough requests in flight to fill the group being checked and the one committing,
        # as an aggregator with parallel connections does.
        in_flight = max(4, 2 * -(-commit // batch))
        latencies: list[float] = []
        lock = threading.Lock()
        with service, settled_heap():  # the collector as `ballroom serve` and `import` run it
            service.create_window("bench", {c: c.upper() for c in COUPLES})
            service.open_window("bench")
            started = time.perf_counter()
            futures = []
            for n, texts in enumerate(batches):
                sent = time.perf_counter()
                future = service.submit_sms(texts, idempotency_key=f"bench-{n}")

                def done(_: object, sent: float = sent) -> None:
                    with lock:
                        latencies.append(time.perf_counter() - sent)

                future.add_done_callback(done)
                futures.append(future)
                if len(futures) > in_flight:
                    futures.pop(0).result()
            for future in futures:
                future.result()
            elapsed = time.perf_counter() - started
            accepted = sum(service.tallies("bench").totals().values())
        baseline_rows_per_s, baseline_name = _baseline(engine, commit)
        if peers is not None:
            peer_reports = run_peers(
                messages,
                {c.upper(): c for c in COUPLES},
                batch=batch,
                commit=commit,
                redis_url=peers["redis_url"],
                postgres_url=peers["postgres_url"],
            )
    finally:
        gc.unfreeze()
        engine.dispose()
    votes_per_s = votes / elapsed
    ordered = sorted(latencies)
    report: dict[str, Any] = {
        "store": engine.dialect.name,
        "votes": votes,
        "accepted": accepted,
        "refused": votes - accepted,
        "batch": batch,
        "commit": commit,
        "votes_per_s": round(votes_per_s, 1),
        "baseline": {"name": baseline_name, "rows_per_s": round(baseline_rows_per_s, 1)},
        "ratio": round(votes_per_s / baseline_rows_per_s, 3),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
    }
    if peer_reports is not None:
        for peer in peer_reports:
            # Same texts, same cap: a peer that accepts a different number did another job.
            peer["same_accepted"] = peer["accepted"] == accepted
        report["peers"] = peer_reports
        report["vs_peers"] = {
            peer["name"]: round(votes_per_s / peer["votes_per_s"], 3) for peer in peer_reports
        }
        report["peers_agree"] = all(peer["same_accepted"] for peer in peer_reports)
    return report


def _baseline(engine: sa.Engine, batch: int) -> tuple[float, str]:
    """Bare insert of the bulk path's own rows into a copy of ``vote_log``."""
    bare = sa.MetaData()
    copy = db.vote_log.to_metadata(bare, name="vote_log_bare")
    copy.indexes.clear()
    # The plain indexes the store really has (on SQLite the receipt hash has none: migration
    # 0006); unique ones come with the copied constraints.
    for index in sa.inspect(engine).get_indexes("vote_log"):
        if index.get("unique") or index.get("duplicates_constraint"):
            continue
        sa.Index(f"{index['name']}_bare", *[copy.c[str(name)] for name in index["column_names"]])
    with engine.begin() as connection:
        rows = [
            tuple(row)
            for row in connection.execute(
                sa.select(*db.vote_log.columns).order_by(db.vote_log.c.seq)
            )
        ]
    # Unique constraints of the copy need names of their own on PostgreSQL.
    for constraint in copy.constraints:
        if constraint.name and not str(constraint.name).endswith("_bare"):
            constraint.name = f"{constraint.name}_bare"
    bare.create_all(engine)
    try:
        raw = engine.raw_connection()
        try:
            started = time.perf_counter()
            if engine.dialect.name == "postgresql":
                driver: Any = raw.driver_connection
                statement = f"COPY vote_log_bare ({', '.join(_COLUMNS)}) FROM STDIN"
                for start in range(0, len(rows), batch):
                    with driver.cursor() as cursor, cursor.copy(statement) as copy_in:
                        for row in rows[start : start + batch]:
                            copy_in.write_row(row)
                    driver.commit()
                name = "copy"
            else:
                statement = (
                    f"INSERT INTO vote_log_bare ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_COLUMNS))})"
                )
                cursor = raw.cursor()
                for start in range(0, len(rows), batch):
                    cursor.executemany(statement, rows[start : start + batch])
                    raw.commit()
                cursor.close()
                name = "executemany"
            elapsed = time.perf_counter() - started
        finally:
            raw.close()
    finally:
        bare.drop_all(engine)
    return len(rows) / elapsed, name
