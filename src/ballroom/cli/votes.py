"""``ballroom import``, ``ballroom export`` and ``ballroom verify``: a night's vote log in the
interchange format of CONTRACTS.md section 2, and the check anyone can run on an export.

Import goes through the same validation, caps and hash chain as live votes. Imported ballots
keep their ids and timestamps, so the window check uses each ballot's own time (inside the
window's recorded open/close times when the store knows them), not the clock. A window or
couples the store does not know are created as a bare night.

An export folder holds ``votes.csv`` (or ``votes.parquet``), ``receipts.csv`` (seq, ballot id,
entry hash: what a voter's receipt is checked against), ``chain.json`` (the root: the hash of
the last entry) and ``results.json`` (the tallies). ``ballroom verify`` recomputes the chain
and the tallies from the votes file alone and compares them with the other three.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
import sqlalchemy as sa

from ballroom.adapters.db import DEFAULT_DB_URL, create_engine_for, upgrade
from ballroom.adapters.db import schema as db
from ballroom.adapters.interchange import VoteRow, read_vote_rows, write_vote_rows
from ballroom.adapters.votelog import allocation_from_json
from ballroom.cli._common import EXIT_CHECK_FAILED, fail, read_json_file, reports_errors
from ballroom.domain.voting import (
    GENESIS_HASH,
    Channel,
    LogEntry,
    VoteMeta,
    canonical_bytes,
    chain_hash,
    datetime_from_us,
    recount,
    us_from_datetime,
)
from ballroom.errors import MalformedDocument, NotFound
from ballroom.services.ports import SystemClock
from ballroom.services.voting import ImportBallot, ImportOutcome, VotingService

CHUNK = 5000
CHAIN_ALGORITHM = "sha256(prev_hash_hex || canonical_json(entry)); see ballroom.domain.voting"


# --------------------------------------------------------------------------- import


def ballots_from_rows(rows: Iterable[VoteRow]) -> Iterator[ImportBallot]:
    """Group consecutive rows of one ballot id into ballots, checking they agree."""
    seen: set[str] = set()
    current: list[VoteRow] = []
    for number, row in enumerate(rows, start=1):
        if current and row.ballot_id != current[0].ballot_id:
            yield _ballot(current)
            current = []
        if not current:
            if row.ballot_id in seen:
                raise MalformedDocument(
                    f"row {number}: ballot {row.ballot_id!r} appears again after other ballots",
                    field="ballot_id",
                )
            seen.add(row.ballot_id)
        else:
            first = current[0]
            for name in ("ts", "window", "voter", "channel"):
                if getattr(row, name) != getattr(first, name):
                    raise MalformedDocument(
                        f"row {number}: ballot {row.ballot_id!r} has two different {name}s",
                        field=name,
                    )
            if any(other.couple == row.couple for other in current):
                raise MalformedDocument(
                    f"row {number}: ballot {row.ballot_id!r} names {row.couple!r} twice",
                    field="couple",
                )
        current.append(row)
    if current:
        yield _ballot(current)


def _ballot(rows: list[VoteRow]) -> ImportBallot:
    first = rows[0]
    return ImportBallot(
        ballot_id=first.ballot_id,
        window=first.window,
        voter=first.voter,
        channel=Channel(first.channel),
        allocation={row.couple: row.votes for row in rows},
        ts_us=us_from_datetime(first.ts),
        meta=VoteMeta(email=first.email, phone=first.phone, ip=first.ip, device=first.device),
    )


def import_file(service: VotingService, path: Path) -> list[ImportOutcome]:
    """Import every ballot of an interchange file; one outcome per ballot, in file order."""
    outcomes: list[ImportOutcome] = []
    known: dict[str, set[str]] = {}
    chunk: list[ImportBallot] = []

    def flush() -> None:
        needed: dict[str, set[str]] = {}
        for ballot in chunk:
            needed.setdefault(ballot.window, set()).update(ballot.allocation)
        for window, couples in needed.items():
            if window not in known:
                try:
                    known[window] = set(service.window_status(window).couples)
                except NotFound:
                    known[window] = set()
            missing = couples - known[window]
            if missing or not known[window]:
                service.ensure_window(window, sorted(missing))
                known[window] |= missing
        outcomes.extend(service.submit_import(chunk).result())
        chunk.clear()

    for ballot in ballots_from_rows(read_vote_rows(path)):
        chunk.append(ballot)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    return outcomes


@click.command("import")
@click.argument("votes", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="Database URL.")
@reports_errors
def import_votes(votes: Path, db_url: str) -> None:
    """Import VOTES (CSV or Parquet) through the live vote rules; prints a JSON summary.

    Exits 1 if any ballot was refused (each refusal is listed with its reason).
    """
    engine = create_engine_for(db_url)
    upgrade(engine)
    try:
        with VotingService(engine, SystemClock(), group_commit_ms=0) as service:
            outcomes = import_file(service, votes)
    finally:
        engine.dispose()
    counts = dict.fromkeys(("accepted", "duplicate", "refused"), 0)
    for outcome in outcomes:
        counts[outcome.status] += 1
    refusals = [
        {"ballot_id": o.ballot_id, "code": o.code, "message": o.message}
        for o in outcomes
        if o.status == "refused"
    ]
    click.echo(json.dumps({"ballots": len(outcomes), **counts, "refusals": refusals}))
    if refusals:
        raise SystemExit(EXIT_CHECK_FAILED)


# --------------------------------------------------------------------------- export


def export_window(
    engine: sa.Engine, window: str, out: Path, *, parquet: bool = False
) -> dict[str, object]:
    """Write a window's log, receipts, chain root and tallies into ``out``; return the chain."""
    with engine.connect() as connection:
        exists = connection.execute(
            sa.select(db.windows.c.id).where(db.windows.c.id == window)
        ).first()
        if exists is None:
            raise NotFound(f"no voting window {window!r}", field="window")
        couples = [
            row.couple_id
            for row in connection.execute(
                sa.select(db.window_couples.c.couple_id).where(
                    db.window_couples.c.window_id == window
                )
            )
        ]
        rows = connection.execute(
            sa.select(db.vote_log)
            .where(db.vote_log.c.window_id == window)
            .order_by(db.vote_log.c.seq)
        ).all()
    out.mkdir(parents=True, exist_ok=True)
    entries = [
        LogEntry(
            seq=row.seq,
            window=window,
            ballot_id=row.ballot_id,
            voter=row.voter,
            channel=Channel(row.channel),
            ts_us=row.ts_us,
            allocation=allocation_from_json(row.allocation),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
        for row in rows
    ]
    vote_rows = (
        VoteRow(
            ballot_id=row.ballot_id,
            ts=datetime_from_us(row.ts_us),
            window=window,
            voter=row.voter,
            channel=row.channel,
            couple=couple,
            votes=votes,
            email=row.email,
            phone=row.phone,
            ip=row.ip,
            device=row.device,
        )
        for row, entry in zip(rows, entries, strict=True)
        for couple, votes in entry.allocation
    )
    write_vote_rows(out / ("votes.parquet" if parquet else "votes.csv"), vote_rows)
    with (out / "receipts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["seq", "ballot_id", "hash"])
        writer.writerows([e.seq, e.ballot_id, e.hash] for e in entries)
    chain = {
        "window": window,
        "algorithm": CHAIN_ALGORITHM,
        "genesis": GENESIS_HASH,
        "entries": len(entries),
        "root": entries[-1].hash if entries else GENESIS_HASH,
    }
    (out / "chain.json").write_text(json.dumps(chain, indent=2) + "\n", encoding="utf-8")
    tally = recount(window, entries, couples)
    (out / "results.json").write_text(
        json.dumps(tally.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return chain


@click.command("export")
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="Database URL.")
@click.option("--window", required=True, help="The voting window to export, e.g. s34w04.")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder."
)
@click.option("--parquet", is_flag=True, help="Write votes.parquet instead of votes.csv.")
@reports_errors
def export_votes(db_url: str, window: str, out: Path, parquet: bool) -> None:
    """Export a window's vote log, receipts, chain root and results into OUT."""
    engine = create_engine_for(db_url)
    try:
        upgrade(engine)
        chain = export_window(engine, window, out, parquet=parquet)
    finally:
        engine.dispose()
    click.echo(json.dumps(chain))


# --------------------------------------------------------------------------- verify


def verify_export(folder: Path) -> dict[str, object]:
    """Recompute an export's chain and tallies; raise ``VerifyFailed`` at the first mismatch."""
    votes = folder / "votes.csv"
    if not votes.exists():
        votes = folder / "votes.parquet"
    if not votes.exists():
        raise NotFound(f"{folder}: no votes.csv or votes.parquet", field="votes")
    chain = read_json_file(folder / "chain.json")
    published = read_json_file(folder / "results.json")
    if not isinstance(chain, dict) or not isinstance(published, dict):
        raise MalformedDocument("chain.json and results.json must hold JSON objects")
    receipts: list[list[str]] = []
    receipts_path = folder / "receipts.csv"
    if receipts_path.exists():
        with receipts_path.open(encoding="utf-8", newline="") as handle:
            receipts = list(csv.reader(handle))[1:]
    entries: list[LogEntry] = []
    prev = str(chain.get("genesis", GENESIS_HASH))
    window = str(chain.get("window", ""))
    for seq, ballot in enumerate(ballots_from_rows(read_vote_rows(votes)), start=1):
        if ballot.window != window:
            raise VerifyFailed(f"ballot {ballot.ballot_id!r} is in window {ballot.window!r}")
        allocation = tuple(sorted(ballot.allocation.items()))
        digest = chain_hash(
            prev,
            canonical_bytes(
                seq,
                window,
                ballot.ballot_id,
                ballot.voter,
                ballot.channel,
                ballot.ts_us,
                allocation,
            ),
        )
        if receipts and (
            seq > len(receipts) or receipts[seq - 1] != [str(seq), ballot.ballot_id, digest]
        ):
            raise VerifyFailed(
                f"entry {seq} (ballot {ballot.ballot_id!r}): hash {digest} does not match "
                f"receipts.csv"
            )
        entries.append(
            LogEntry(
                seq,
                window,
                ballot.ballot_id,
                ballot.voter,
                ballot.channel,
                ballot.ts_us,
                allocation,
                prev,
                digest,
            )
        )
        prev = digest
    if receipts and len(receipts) != len(entries):
        raise VerifyFailed(f"receipts.csv lists {len(receipts)} entries, the votes {len(entries)}")
    if chain.get("entries") != len(entries):
        raise VerifyFailed(
            f"chain.json counts {chain.get('entries')} entries, votes {len(entries)}"
        )
    if chain.get("root") != prev:
        raise VerifyFailed(f"chain root {prev} does not match the published {chain.get('root')}")
    published_couples = published.get("couples")
    tally = recount(
        window, entries, published_couples if isinstance(published_couples, dict) else ()
    )
    recounted = tally.as_dict()
    for couple, counted in dict(recounted["couples"]).items():  # type: ignore[call-overload]
        claimed = published_couples.get(couple) if isinstance(published_couples, dict) else None
        if claimed != counted:
            raise VerifyFailed(f"couple {couple!r}: recount {counted}, published {claimed}")
    return {
        "window": window,
        "entries": len(entries),
        "root": prev,
        "ok": True,
        "totals": tally.totals(),
    }


class VerifyFailed(Exception):
    """An export that does not check out; the message names the first mismatch."""


@click.command("verify")
@click.argument("export_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@reports_errors
def verify(export_dir: Path) -> None:
    """Recompute the hash chain and tallies of an exported night and compare with EXPORT_DIR's
    published root and results: exit 0 when everything matches, 1 at the first mismatch."""
    try:
        report = verify_export(export_dir)
    except VerifyFailed as mismatch:
        fail(f"mismatch: {mismatch}", EXIT_CHECK_FAILED)
        return
    click.echo(json.dumps(report))
