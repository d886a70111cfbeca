"""SIGKILL ``ballroom serve`` in the middle of a load of web ballots and SMS batches.

After a restart on the same store, every acknowledged (200) ballot is there exactly once
(its receipt checks out, and a retry with the same key returns the same receipt), the live
tally equals a recount of the log, and no voter passed a cap.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from serve_support import Server

from ballroom.adapters.db.engine import create_engine_for
from ballroom.adapters.db.schema import vote_log

pytestmark = pytest.mark.slow

WINDOW = "s34w04"
VOTERS = 12
PHONES = 4
COUPLES = ("robert", "alix", "hilaria", "jordan", "dylan", "elaine")


def _producer(client: httpx.Client) -> dict[str, str]:
    response = client.post(
        "/api/v1/sessions", json={"name": "producer", "password": "producer-demo"}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _voters(client: httpx.Client, producer: dict[str, str]) -> list[dict[str, str]]:
    tokens = []
    for index in range(VOTERS):
        email = f"load{index}@example.com"
        client.post("/api/v1/accounts", json={"email": email, "age": 40, "region": "US"})
        outbox = client.get("/api/v1/outbox?limit=1", headers=producer).json()["messages"]
        code = outbox[0]["body"].split("Your code is ", 1)[1][:6]
        session = client.post("/api/v1/accounts/verify", json={"email": email, "code": code})
        session.raise_for_status()
        tokens.append({"Authorization": f"Bearer {session.json()['token']}"})
    return tokens


class Load:
    """Threads posting ballots and texts until told to stop; they record what was acked."""

    def __init__(self, server: Server, voters: list[dict[str, str]]) -> None:
        self.server = server
        self.base = server.base
        self.voters = voters
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked: list[dict[str, Any]] = []  # {"key", "voter", "body", "receipt"}
        self.sms_acked: list[dict[str, Any]] = []
        self.threads = [
            threading.Thread(target=self._web, args=(i,), daemon=True) for i in range(VOTERS)
        ] + [threading.Thread(target=self._sms, args=(i,), daemon=True) for i in range(PHONES)]

    def _web(self, index: int) -> None:
        rng = random.Random(index)
        with httpx.Client(base_url=self.base, timeout=10.0) as client:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                allocation = {c: rng.randint(0, 10) for c in rng.sample(COUPLES, 3)}
                allocation[COUPLES[index % len(COUPLES)]] = rng.randint(1, 10)
                key = f"web-{index}-{n}"
                body = {"allocation": allocation}
                try:
                    response = client.post(
                        f"/api/v1/windows/{WINDOW}/ballots",
                        json=body,
                        headers={**self.voters[index], "Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    return  # the server died under us: this one was never acknowledged
                if response.status_code == 200:
                    with self.lock:
                        self.acked.append(
                            {"key": key, "voter": index, "body": body, "receipt": response.json()}
                        )

    def _sms(self, index: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10.0) as client:
            for n in range(10_000):
                if self.stop.is_set():
                    return
                # Each phone texts one couple over and over: only 10 may ever count.
                key = f"sms-{index}-{n}"
                texts = [
                    {
                        "id": f"{key}-{text}",
                        "from": f"+1555010{index:04d}",
                        "to": "21523",
                        "body": COUPLES[index],
                    }
                    for text in range(3)
                ]
                try:
                    response = self.server.post_sms(client, texts, key)
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    with self.lock:
                        self.sms_acked.append({"key": key, "texts": texts, **response.json()})

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_acknowledged_votes_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    db_url = database_url
    log = tmp_path / "serve.log"
    server = Server(db_url, log)
    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        producer = _producer(client)
        voters = _voters(client, producer)
    with Load(server, voters) as load:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(load.acked) < 150 or len(load.sms_acked) < 12):
            time.sleep(0.05)
        server.kill()  # mid-load: requests are in flight
    assert len(load.acked) >= 150, "the load did not get going"

    restarted = Server(db_url, log)
    try:
        with httpx.Client(base_url=restarted.base, timeout=10.0) as client:
            _check_after_restart(client, load, db_url, restarted)
    finally:
        restarted.stop()


def _check_after_restart(client: httpx.Client, load: Load, db_url: str, server: Server) -> None:
    producer = _producer(client)
    engine = create_engine_for(db_url)
    try:
        with engine.connect() as connection:
            logged = connection.execute(
                sa.select(vote_log.c.ballot_id, vote_log.c.idempotency_key)
            ).all()
            ballots = {row.ballot_id for row in logged}
            keys = Counter(row.idempotency_key for row in logged)
            rows = connection.execute(
                sa.select(vote_log.c.voter, vote_log.c.channel, vote_log.c.allocation)
                .where(vote_log.c.window_id == WINDOW)
                .order_by(vote_log.c.seq)
            ).all()
    finally:
        engine.dispose()

    # Every acknowledged web ballot is in the log (its key is stored scoped to its voter, and
    # its retry below answers the same receipt), and its receipt checks out.
    for acked in load.acked:
        assert acked["receipt"]["ballot_id"] in ballots, acked
    for acked in load.acked[:: max(1, len(load.acked) // 40)]:
        check = client.get(f"/api/v1/receipts/{acked['receipt']['hash']}")
        assert check.status_code == 200, check.text
        assert check.json()["ok"] is True
        assert check.json()["allocation"] == acked["receipt"]["allocation"]
        retry = client.post(
            f"/api/v1/windows/{WINDOW}/ballots",
            json=acked["body"],
            headers={**load.voters[acked["voter"]], "Idempotency-Key": acked["key"]},
        )
        assert retry.status_code == 200, retry.text
        assert retry.json() == acked["receipt"]
    for batch in load.sms_acked:
        for index, outcome in enumerate(batch["outcomes"]):
            if outcome["accepted"]:
                text_id = batch["texts"][index]["id"]
                assert keys[f"sms:{text_id}"] == 1, batch

    # Caps: the last web ballot of each voter within 0..10 per couple; at most 10 texts
    # per phone and couple, however many were sent before and after the crash.
    texts: Counter[tuple[str, str]] = Counter()
    web_latest: dict[str, dict[str, int]] = {}
    for voter, channel, allocation in rows:
        votes = json.loads(allocation)
        if channel == "web":
            web_latest[voter] = votes
        else:
            for couple, count in votes.items():
                texts[voter, couple] += count
    assert all(0 < v <= 10 for ballot in web_latest.values() for v in ballot.values())
    assert texts
    assert max(texts.values()) <= 10
    more = server.post_sms(
        client,
        [
            {"id": f"late-{n}", "from": "+15550100000", "to": "21523", "body": COUPLES[0]}
            for n in range(11)
        ],
        "after-restart",
    ).json()["outcomes"]
    already = texts.get(("+15550100000", COUPLES[0]), 0)
    accepted = sum(1 for outcome in more if outcome["accepted"])
    assert already + accepted == 10

    # The live tally rebuilt on restart equals a recount of the log's latest ballots.
    tally = client.get(f"/api/v1/windows/{WINDOW}/tallies", headers=producer).json()
    expected_web: Counter[str] = Counter()
    for ballot in web_latest.values():
        expected_web.update(ballot)
    for couple, count in tally["couples"].items():
        assert count["web"] == expected_web.get(couple, 0), couple
