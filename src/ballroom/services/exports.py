"""A night's verifiable export and the independent check of one (docs/interfaces.md §2 and §4).

An export folder holds ``votes.csv`` (or ``votes.parquet``), ``receipts.csv`` (seq, ballot id,
entry hash: what a voter's receipt is checked against), ``chain.json`` (the root: the hash of
the last entry) and ``results.json`` (the tallies). ``verify_export`` recomputes the chain and
the tallies from the votes file alone and compares them with the other three.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import sqlalchemy as sa

from ballroom.adapters.interchange import read_vote_rows, write_vote_rows
from ballroom.adapters.jsonfile import read_json_file
from ballroom.domain.voting import (
    GENESIS_HASH,
    LogEntry,
    canonical_bytes,
    chain_hash,
    recount,
)
from ballroom.errors import MalformedDocument, NotFound, VerificationFailed
from ballroom.services.importing import ballots_from_rows
from ballroom.services.log_rows import read_window_log

CHAIN_ALGORITHM = "sha256(prev_hash_hex || canonical_json(entry)); see ballroom.domain.voting"


def export_window(
    engine: sa.Engine, window: str, out: Path, *, parquet: bool = False
) -> dict[str, object]:
    """Write a window's log, receipts, chain root and tallies into ``out``; return the chain."""
    log = read_window_log(engine, window)
    out.mkdir(parents=True, exist_ok=True)
    entries = log.entries
    vote_rows = log.vote_rows()
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
    tally = recount(window, entries, log.couples)
    (out / "results.json").write_text(
        json.dumps(tally.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return chain


def verify_export(folder: Path) -> dict[str, object]:
    """Recompute an export's chain and tallies; ``VerificationFailed`` at the first mismatch."""
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
            raise VerificationFailed(f"ballot {ballot.ballot_id!r} is in window {ballot.window!r}")
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
            raise VerificationFailed(
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
        raise VerificationFailed(
            f"receipts.csv lists {len(receipts)} entries, the votes {len(entries)}"
        )
    if chain.get("entries") != len(entries):
        raise VerificationFailed(
            f"chain.json counts {chain.get('entries')} entries, votes {len(entries)}"
        )
    if chain.get("root") != prev:
        raise VerificationFailed(
            f"chain root {prev} does not match the published {chain.get('root')}"
        )
    published_couples = published.get("couples")
    tally = recount(
        window, entries, published_couples if isinstance(published_couples, dict) else ()
    )
    recounted = tally.as_dict()
    for couple, counted in dict(recounted["couples"]).items():  # type: ignore[call-overload]
        claimed = published_couples.get(couple) if isinstance(published_couples, dict) else None
        if claimed != counted:
            raise VerificationFailed(f"couple {couple!r}: recount {counted}, published {claimed}")
    return {
        "window": window,
        "entries": len(entries),
        "root": prev,
        "ok": True,
        "totals": tally.totals(),
    }
