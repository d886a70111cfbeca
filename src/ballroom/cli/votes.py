"""``ballroom import``, ``ballroom export`` and ``ballroom verify``: a night's vote log in the
interchange format of docs/interfaces.md §2, and the check anyone can run on an export.

Import goes through the same validation, caps and hash chain as live votes. Imported ballots
keep their ids and timestamps, so the window check uses each ballot's own time (inside the
window's recorded open/close times when the store knows them), not the clock. A window or
couples the store does not know are created as a bare night.

Export is ``ballroom.services.exports`` (the folder layout is described there), verify
``ballroom.services.verification``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import click

from ballroom.adapters.db import DEFAULT_DB_URL, create_engine_for, upgrade
from ballroom.adapters.stored_log_sql import sqlite_file
from ballroom.bootstrap import open_store, stored_log, voting_service
from ballroom.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    fail,
    reports_errors,
    settled_heap,
)
from ballroom.errors import InvalidInput, NotFound, VerificationFailed
from ballroom.services.exports import FORMATS, export_window
from ballroom.services.importing import ImportSummary, import_summary
from ballroom.services.ports import SystemClock
from ballroom.services.verification import verify_export
from ballroom.services.voting import ImportOutcome

# --------------------------------------------------------------------------- import


@click.command("import")
@click.argument("votes", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="Database URL.")
@click.option(
    "--refusals",
    "refusals_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write each refused ballot (ballot_id, code, message) to this CSV file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON line.")
@reports_errors
def import_votes(votes: Path, db_url: str, refusals_out: Path | None, as_json: bool) -> None:
    """Import VOTES (CSV or Parquet) through the live vote rules and print a summary:
    ballots accepted, already there (duplicates) and refused, by reason.

    The whole file is checked before anything is imported: a malformed file changes nothing
    (exit 2). Exits 1 if any ballot was refused; --refusals FILE lists them.
    """
    source = existing_file(votes)
    engine = open_store(db_url)
    try:
        # The receipt index is built once, after the last commit (see index_all).
        service = voting_service(engine, SystemClock(), group_commit_ms=0, index_receipts=False)
        with service, settled_heap():
            summary, refused = import_summary(service, source)
    finally:
        engine.dispose()
    if refusals_out is not None:
        write_refusals(refusals_out, refused)
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        click.echo(summary_text(source, summary, refusals_out))
    if summary.refused:
        raise SystemExit(EXIT_CHECK_FAILED)


def existing_file(path: Path) -> Path:
    """``path`` if it is a readable file; else exit 2 with one line naming it."""
    if not path.is_file():
        reason = "no such file" if not path.exists() else "not a file"
        raise InvalidInput(f"{path}: {reason}", field="VOTES")
    return path


def write_refusals(path: Path, outcomes: Iterable[ImportOutcome]) -> None:
    """The refused ballots as CSV: ballot_id, code, message (one row each, in file order)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ballot_id", "code", "message"])
        writer.writerows(
            (o.ballot_id, o.code, o.message) for o in outcomes if o.status == "refused"
        )


def summary_text(source: Path, summary: ImportSummary, refusals_out: Path | None) -> str:
    """The import's summary for a terminal (80 columns)."""
    lines = [
        f"Imported {source.name}: {summary.ballots:,} ballots",
        f"  accepted    {summary.accepted:>12,}",
        f"  duplicates  {summary.duplicate:>12,}  (already in the log, not counted again)",
        f"  refused     {summary.refused:>12,}",
    ]
    for code, count in sorted(summary.refused_by_code.items(), key=lambda kv: (-kv[1], kv[0])):
        reason = REFUSAL_REASONS.get(code, code.replace("_", " "))
        lines.append(f"    {count:>10,}  {reason}"[:80])
    if summary.refused:
        lines.append(
            f"Refusals written to {refusals_out}"
            if refusals_out is not None
            else "List them with --refusals FILE."
        )
    return "\n".join(lines)


REFUSAL_REASONS = {
    "cap_exceeded": "over the cap of votes per couple",
    "ineligible_voter": "sender outside the text-voting regions",
    "window_closed": "dated outside the voting window",
    "unknown_couple": "a couple not voting in the window",
    "invalid_input": "not a valid ballot",
    "wrong_type": "a value of the wrong type",
    "idempotency_mismatch": "same ballot id as a different stored ballot",
    "not_found": "an unknown voting window",
}
"""Refusal codes in words (errors.py names every code; an unlisted one is shown as words)."""


# --------------------------------------------------------------------------- export


@click.command("export")
@click.option("--db", "db_url", default=DEFAULT_DB_URL, show_default=True, help="Database URL.")
@click.option("--window", required=True, help="The voting window to export, e.g. s34w04.")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="votes.csv or votes.parquet (the same columns).",
)
@click.option("--parquet", is_flag=True, hidden=True, help="Same as --format parquet.")
@reports_errors
def export_votes(db_url: str, window: str, out: Path, fmt: str, parquet: bool) -> None:
    """Export a window's vote log, receipts, manifest (chain.json) and recount into OUT.

    Prints the manifest as JSON. The manifest's opens_at is the night's reveal: publish the
    export only from then on (before the reveal it says null, and a warning is printed).
    """
    engine = create_engine_for(db_url)
    stored = sqlite_file(engine)
    if stored is not None and not Path(stored).is_file():
        # Exporting reads: a mistyped --db must not leave an empty store behind.
        fail(f"no store at {stored}: nothing to export (check --db)")
    try:
        upgrade(engine)
        # Nothing else in this process has the store open while it is read (ADBC on SQLite).
        log = stored_log(engine, alone=True)
        manifest = export_window(log, window, out, fmt="parquet" if parquet else fmt)
    except NotFound as unknown:
        fail(f"{unknown.code} [{unknown.field}]: {unknown.message}")
    finally:
        engine.dispose()
    click.echo(json.dumps(manifest))
    if manifest["opens_at"] is None:
        click.echo(
            f"warning: {window} has not been revealed: do not publish this export before the"
            " reveal",
            err=True,
        )


# --------------------------------------------------------------------------- verify


@click.command("verify")
@click.argument("export_dir", type=click.Path(path_type=Path))
@click.option(
    "--receipt",
    default=None,
    metavar="HASH",
    help="Also confirm that the ballot with this receipt hash is in the log, with what it"
    " gave, and whether a later web ballot of the same voter replaced it.",
)
@reports_errors
def verify(export_dir: Path, receipt: str | None) -> None:
    """Recompute the hash chain and tallies of an exported night and compare them with
    EXPORT_DIR's manifest, receipts and results: exit 0 when everything matches, 1 at the
    first mismatch (or a receipt not in the log), 2 for unreadable input. Prints a JSON
    report (docs/interfaces.md §4)."""
    if not export_dir.is_dir():
        reason = "no such folder" if not export_dir.exists() else "not a folder"
        raise InvalidInput(f"{export_dir}: {reason}", field="EXPORT_DIR")
    try:
        report = verify_export(export_dir, receipt=receipt)
    except VerificationFailed as mismatch:
        fail(f"mismatch: {mismatch}", EXIT_CHECK_FAILED)
    except NotFound as missing:
        # A receipt missing from a log that verifies is a check that did not pass (exit 1); a
        # missing votes file is unreadable input (exit 2).
        fail(
            f"{missing.code} [{missing.field}]: {missing.message}",
            EXIT_CHECK_FAILED if missing.field == "receipt" else EXIT_BAD_INPUT,
        )
    click.echo(json.dumps(report))
