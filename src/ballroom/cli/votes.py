"""``ballroom import``, ``ballroom export`` and ``ballroom verify``: a night's vote log in the
interchange format of docs/interfaces.md §2, and the check anyone can run on an export.

Import goes through the same validation, caps and hash chain as live votes. Imported ballots
keep their ids and timestamps, so the window check uses each ballot's own time (inside the
window's recorded open/close times when the store knows them), not the clock. A window or
couples the store does not know are created as a bare night.

Export and verify are ``ballroom.services.exports``: the folder layout is described there.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ballroom.adapters.db import DEFAULT_DB_URL, create_engine_for, upgrade
from ballroom.cli._common import EXIT_CHECK_FAILED, fail, reports_errors, settled_heap
from ballroom.errors import VerificationFailed
from ballroom.services.exports import export_window, verify_export
from ballroom.services.importing import import_file
from ballroom.services.ports import SystemClock
from ballroom.services.voting import VotingService

CHAIN_ALGORITHM = "sha256(prev_hash_hex || canonical_json(entry)); see ballroom.domain.voting"


# --------------------------------------------------------------------------- import


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
        with VotingService(engine, SystemClock(), group_commit_ms=0) as service, settled_heap():
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


@click.command("verify")
@click.argument("export_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@reports_errors
def verify(export_dir: Path) -> None:
    """Recompute the hash chain and tallies of an exported night and compare with EXPORT_DIR's
    published root and results: exit 0 when everything matches, 1 at the first mismatch."""
    try:
        report = verify_export(export_dir)
    except VerificationFailed as mismatch:
        fail(f"mismatch: {mismatch}", EXIT_CHECK_FAILED)
    click.echo(json.dumps(report))
