"""SIGKILL the writer mid-load: every acknowledged vote is there exactly once, no cap passed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for
from ballroom.adapters.db.schema import vote_log
from ballroom.adapters.vote_codec import allocation_from_json
from ballroom.bootstrap import voting_service
from ballroom.services.ports import FixedClock

CHILD = Path(__file__).with_name("kill9_writer.py")
ACKS_BEFORE_KILL = 400


@pytest.mark.slow
def test_acknowledged_votes_survive_sigkill(database_url: str) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), database_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks: list[list[str]] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(("WEB", "SMS")):
                acks.append(line.split())
            if len(acks) >= ACKS_BEFORE_KILL:
                break
        child.send_signal(signal.SIGKILL)
        # Whatever the child printed before it died was acknowledged too.
        rest, errors = child.communicate(timeout=30)
        acks.extend(line.split() for line in rest.splitlines() if line.startswith(("WEB", "SMS")))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL, errors
    assert len(acks) >= ACKS_BEFORE_KILL

    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    vote_log.c.hash,
                    vote_log.c.idempotency_key,
                    vote_log.c.voter,
                    vote_log.c.channel,
                    vote_log.c.allocation,
                )
            ).all()
        stored = Counter(row.hash for row in rows)
        for ack in acks:
            assert stored[ack[-1]] == 1, f"acknowledged vote {ack} is not stored exactly once"
        assert len({row.idempotency_key for row in rows}) == len(rows)
        texts: Counter[tuple[str, str]] = Counter()
        for row in rows:
            if row.channel == "sms":
                for couple, votes in allocation_from_json(row.allocation):
                    texts[(row.voter, couple)] += votes
        assert max(texts.values()) <= 10

        service = voting_service(engine, FixedClock(datetime(2025, 10, 7, 21, tzinfo=UTC)))
        with service:
            assert service.verify_log("w") is None
            tally = service.tallies("w")
            assert tally == service.recount("w")
            assert tally.version == len(rows)
            # Per voter the web votes are one whole ballot, so never above 10 per couple.
            assert tally.couples["robert"].web <= 10 * 5
            web = next(a for a in acks if a[0] == "WEB")
            key, voter = web[1], web[2]
            n = int(key.rsplit("-", 1)[1])
            retry = service.cast_web_ballot(
                "w", voter, {"robert": n % 11, "alix": 10 - n % 11}, idempotency_key=key
            )
            assert retry.hash == web[3]
            assert service.tallies("w") == tally
    finally:
        engine.dispose()
