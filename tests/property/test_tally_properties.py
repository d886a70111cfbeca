"""Whatever the interleaving of ballots, revisions, texts and refusals, the live tally equals
a recount of the log and a plain model of the rules, and no cap is ever passed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import SmsMessage
from ballroom.errors import CapExceeded, InvalidInput
from ballroom.services.ports import FixedClock
from ballroom.services.voting import VotingService

COUPLES = ("hilaria", "robert", "alix")
VOTERS = ("v0", "v1", "v2")
PHONES = ("+12125550100", "+12125550101")
CAP = 3

web_op = st.tuples(
    st.just("web"),
    st.sampled_from(VOTERS),
    st.dictionaries(st.sampled_from(COUPLES), st.integers(0, CAP + 1), min_size=1),
)
sms_op = st.tuples(
    st.just("sms"),
    st.sampled_from(PHONES),
    st.lists(st.sampled_from((*COUPLES, "nobody")), min_size=1, max_size=6),
)
tick = st.tuples(st.just("tick"), st.integers(1, 200), st.just(None))
operations = st.lists(st.one_of(web_op, sms_op, tick), min_size=1, max_size=25)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VotingService, FixedClock]]:
    path: Path = tmp_path_factory.mktemp("tally") / "ballroom.db"
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade(engine)
    clock = FixedClock(datetime(2025, 10, 7, 20, 0, tzinfo=UTC))
    voting = voting_service(engine, clock, cap=CAP, group_commit_ms=0)
    voting.start()
    yield voting, clock
    voting.stop()
    engine.dispose()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_live_tally_equals_recount_and_model(
    service: tuple[VotingService, FixedClock], ops: list[tuple[str, object, object]]
) -> None:
    voting, clock = service
    window = f"w-{uuid.uuid4().hex[:10]}"
    voting.create_window(window, {c: c.upper() for c in COUPLES})
    voting.open_window(window)
    web_model: dict[str, dict[str, int]] = {}
    sms_model: dict[tuple[str, str], int] = {}
    futures = []
    for n, (kind, who, what) in enumerate(ops):
        if kind == "tick":
            clock.advance(seconds=float(who))  # type: ignore[arg-type]
            continue
        key = f"{window}-{n}"
        if kind == "web":
            assert isinstance(what, dict)
            try:
                voting.cast_web_ballot(window, str(who), what, idempotency_key=key)
            except CapExceeded:
                assert max(what.values()) > CAP
            except InvalidInput:
                assert not any(what.values())  # an empty ballot is refused, changes nothing
            else:
                web_model[str(who)] = {c: v for c, v in what.items() if v}
            continue
        assert isinstance(what, list)
        # Submitted without waiting: texts interleave with the next ballots in group commits.
        futures.append(
            voting.submit_sms(
                [SmsMessage(str(who), body) for body in what], idempotency_key=key, window_id=window
            )
        )
        for body in what:
            if body in COUPLES:
                sms_model[(str(who), body)] = min(CAP, sms_model.get((str(who), body), 0) + 1)
    for future in futures:
        future.result()

    tally = voting.tallies(window)
    assert voting.recount(window) == tally
    assert voting.verify_log(window) is None
    for couple in COUPLES:
        assert tally.couples[couple].web == sum(b.get(couple, 0) for b in web_model.values())
        assert tally.couples[couple].sms == sum(v for (_, c), v in sms_model.items() if c == couple)
    per_minute = sum(sum(bucket.values()) for bucket in tally.buckets.values())
    assert per_minute == sum(tally.totals().values())
