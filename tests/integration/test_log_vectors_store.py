"""The vote log writes exactly the fixed chain vectors (tests/vectors/log_entries.json), web
ballots and texts alike, on SQLite and on PostgreSQL: the writer's encodings are the domain's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage, datetime_from_us
from ballroom.services.ports import FixedClock

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "log_entries.json").read_text("utf-8")
)
WINDOW = VECTORS["window"]
COUPLES = {c: c.upper() for c in ("alix", "dylan", "elaine", "jordan", "robert")}


class ScriptedIds:
    """The vectors' ballot ids, in order."""

    def __init__(self, ids: Iterator[str]) -> None:
        self._ids = ids

    def new_id(self) -> str:
        return next(self._ids)


def test_the_store_holds_the_vector_chain(engine: sa.Engine) -> None:
    chain = VECTORS["chain"]
    clock = FixedClock(datetime_from_us(chain[0]["ts_us"] - 1))
    ids = ScriptedIds(iter([v["ballot_id"] for v in chain]))
    with voting_service(engine, clock, group_commit_ms=0, ids=ids) as voting:
        voting.create_window(WINDOW, COUPLES)
        voting.open_window(WINDOW)
        for vector in chain:
            clock.set(datetime_from_us(vector["ts_us"]))
            key = f"vector-{vector['seq']}"
            if vector["channel"] == "web":
                allocation = dict(vector["allocation"])
                voting.cast_web_ballot(WINDOW, vector["voter"], allocation, idempotency_key=key)
            else:
                ((couple, _),) = vector["allocation"]
                text = SmsMessage(phone=vector["voter"], body=COUPLES[couple])
                (outcome,) = voting.ingest_sms([text], idempotency_key=key)
                assert outcome.accepted, outcome.reply
        stored = voting.log_entries(WINDOW)
        assert [(e.seq, e.ballot_id, e.prev_hash, e.hash) for e in stored] == [
            (v["seq"], v["ballot_id"], v["prev_hash"], v["hash"]) for v in chain
        ]
        assert voting.verify_log(WINDOW) is None
        assert voting.chain_root(WINDOW) == chain[-1]["hash"]
