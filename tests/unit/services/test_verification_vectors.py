"""The verifier (``ballroom verify``'s ``verify_export``) accepts the fixed chain vectors
(tests/vectors/log_entries.json) published as an export, and finds a changed one."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ballroom.adapters.interchange import VoteRow, write_vote_rows
from ballroom.domain.voting import Channel, LogEntry, datetime_from_us, recount
from ballroom.errors import VerificationFailed
from ballroom.services.verification import CHAIN_ALGORITHM, verify_export

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "log_entries.json").read_text("utf-8")
)
WINDOW = VECTORS["window"]


def _publish(folder: Path, chain: list[dict[str, Any]], root: str) -> None:
    """An export folder of the vectors, as ``ballroom export`` lays one out."""
    folder.mkdir()
    rows = [
        VoteRow(
            ballot_id=v["ballot_id"],
            ts=datetime_from_us(v["ts_us"]),
            window=WINDOW,
            voter=v["voter"],
            channel=v["channel"],
            couple=couple,
            votes=votes,
        )
        for v in chain
        for couple, votes in v["allocation"]
    ]
    write_vote_rows(folder / "votes.csv", rows)
    with (folder / "receipts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["seq", "ballot_id", "hash"])
        writer.writerows([v["seq"], v["ballot_id"], v["hash"]] for v in chain)
    chain_doc = {
        "window": WINDOW,
        "algorithm": CHAIN_ALGORITHM,
        "genesis": VECTORS["genesis"],
        "entries": len(chain),
        "root": root,
    }
    (folder / "chain.json").write_text(json.dumps(chain_doc), encoding="utf-8")
    entries = [
        LogEntry(
            v["seq"],
            WINDOW,
            v["ballot_id"],
            v["voter"],
            Channel(v["channel"]),
            v["ts_us"],
            tuple((c, n) for c, n in v["allocation"]),
        )
        for v in chain
    ]
    results = recount(WINDOW, entries).as_dict()
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")


def test_the_verifier_accepts_the_vector_chain(tmp_path: Path) -> None:
    chain = VECTORS["chain"]
    _publish(tmp_path / "export", chain, chain[-1]["hash"])
    report = verify_export(tmp_path / "export")
    assert report["ok"] is True
    assert report["entries"] == len(chain)
    assert report["root"] == chain[-1]["hash"]


def test_the_verifier_finds_a_vote_changed_after_hashing(tmp_path: Path) -> None:
    chain = [dict(v) for v in VECTORS["chain"]]
    chain[2]["allocation"] = [["dylan", 3]]  # the published receipt hash stays the old one
    _publish(tmp_path / "export", chain, chain[-1]["hash"])
    with pytest.raises(VerificationFailed, match="entry 3"):
        verify_export(tmp_path / "export")
