"""``ballroom import`` killed (SIGKILL) in the middle, then run again, leaves the store one
uninterrupted import leaves: the committed ballots are found as duplicates, the rest follow."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for
from ballroom.adapters.interchange import VoteRow, write_vote_rows

START = datetime(2025, 10, 8, 20, 0, tzinfo=UTC)
COUPLES = ("andy", "bea", "cal")
BALLOTS = 60_000


def _rows() -> list[VoteRow]:
    """Web ballots (voters vote again: revisions), texts (some over the text cap) and
    withdrawals: some refused (nothing saved yet) just before the voter's first ballot, which
    a re-run must not count, some accepted."""
    rows: list[VoteRow] = []
    for n in range(BALLOTS):
        ts = START + timedelta(milliseconds=n)
        if n % 4 == 3:
            voter = f"+1202555{n % 700:04d}"
            rows.append(VoteRow(f"t{n}", ts, "w1", voter, "sms", COUPLES[n % 3], 1 + n % 4))
            continue
        voter = f"v{n % 9000}"
        withdrawal = False
        if n % 47 == 5:  # a withdrawal with nothing saved: refused
            voter, withdrawal = f"x{n}", True
        elif n % 47 == 6:  # that voter's first ballot
            voter = f"x{n - 1}"
        elif n % 47 == 8:  # and their withdrawal of it
            voter, withdrawal = f"x{n - 3}", True
        for index, couple in enumerate(COUPLES[: 1 + n % 3]):
            votes = 0 if withdrawal else 1 + (n + index) % 10
            rows.append(VoteRow(f"b{n}", ts, "w1", voter, "web", couple, votes))
    return rows


def _import(url: str, path: Path) -> subprocess.Popen[str]:
    command = ["import", str(path), "--db", url, "--json"]
    return subprocess.Popen(
        [sys.executable, "-c", "from ballroom.cli import main; main()", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _committed(url: str) -> int:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("vote_log"):
                return 0
            return int(connection.execute(sa.text("SELECT count(*) FROM vote_log")).scalar_one())
    except sa.exc.OperationalError:  # the store is being created
        return 0
    finally:
        engine.dispose()


def _refusals(url: str) -> list[tuple[object, ...]]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT window_id, ballot_id, fingerprint, code, message FROM import_refusals"
                )
            ).all()
    finally:
        engine.dispose()
    return sorted(tuple(row) for row in rows)


def _log(url: str) -> list[tuple[object, ...]]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("vote_log"):
                return []
            rows = connection.execute(
                sa.text(
                    "SELECT window_id, seq, ballot_id, voter, channel, allocation, ts_us, hash,"
                    " prev_hash, idempotency_key FROM vote_log ORDER BY window_id, seq"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


@pytest.mark.slow
def test_an_import_killed_midway_and_run_again_equals_one_run(
    database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "votes.parquet"
    write_vote_rows(path, _rows())
    reference = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    whole = _import(reference, path)
    whole.communicate(timeout=600)
    expected = _log(reference)
    assert expected

    killed = _import(database_url, path)
    try:
        deadline = time.monotonic() + 300
        while not _committed(database_url) and killed.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.wait()
    partial = _log(database_url)
    assert 0 < len(partial) < len(expected)  # killed midway
    assert partial == expected[: len(partial)]  # committed: a prefix of the whole run

    again = _import(database_url, path)
    out, err = again.communicate(timeout=600)
    assert again.returncode in (0, 1), err
    assert _log(database_url) == expected
    assert _refusals(database_url) == _refusals(reference)
    assert any(code == "invalid_input" for *_, code, _ in _refusals(reference))
    assert f'"duplicate": {len(partial)}' in out
