"""Scripts faster than two clock ticks: their whole-second times stay on one line."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters.interchange import vote_table_from_arrow
from ballroom.integrity.analysis import analyze
from ballroom.integrity.detectors import Thresholds, _lattice_runs
from ballroom.integrity.electorate import Scenario, generate

SECOND_US = 1_000_000


def _one_run(seconds: np.ndarray) -> np.ndarray:
    """Whether the events at whole ``seconds``, taken as one fast run, are a clock's lattice."""
    ev_ts = seconds.astype(np.int64) * SECOND_US
    pairs = len(ev_ts) - 2
    run_id = np.ones(pairs, dtype=np.int32)  # run 0 is "no run"
    regular = np.ones(pairs, dtype=bool)
    fast = np.array([False, True])
    return _lattice_runs(ev_ts, run_id, regular, fast, limits=Thresholds(), resolution=1.0)


@settings(max_examples=200, deadline=None)
@given(
    period=st.floats(1.05, 1.95),
    start=st.floats(0.0, 1000.0),
    events=st.integers(17, 120),
)
def test_a_script_read_off_a_whole_second_clock_is_a_lattice(
    period: float, start: float, events: int
) -> None:
    seconds = np.floor(start + np.arange(events) * period)
    gaps = np.diff(seconds)
    if min(np.count_nonzero(gaps == 1), np.count_nonzero(gaps == 2)) < 3:
        # Not claimed: the rarer gap shows the period only once or twice. Twice, at the run's
        # two ends (1.05 or 1.95 ticks over 22 events), tilts the least-squares line by about
        # a tick, past the test's 1.5: such a run is missed, never flagged by mistake.
        return
    assert _one_run(seconds)[1]


def test_a_run_whose_rarer_gap_is_only_at_its_ends_is_not_claimed() -> None:
    # The limit stated above, pinned: found by Hypothesis (period 1.95, 22 events).
    assert not _one_run(np.floor(np.arange(22) * 1.95))[1]


def test_a_busy_address_drifts_off_any_line() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):  # gaps of 1 and 2 s at random, as a busy NAT's whole seconds read
        seconds = np.concatenate([[0], np.cumsum(rng.integers(1, 3, 40))])
        assert not _one_run(seconds)[1]
    uneven = np.concatenate([[0], np.cumsum([1] * 15 + [2] * 15)])
    assert not _one_run(uneven)[1]


def test_one_tick_gaps_are_a_saturated_address_not_a_period() -> None:
    assert not _one_run(np.arange(40))[1]


def test_bots_casting_every_one_to_two_seconds_are_flagged_on_a_whole_second_log() -> None:
    night = generate(
        Scenario(
            voters=3000,
            farms=0,
            bots=3,
            bot_period_s=(1.2, 1.9),
            ts_resolution_s=1.0,
            camouflage=0.0,
            seed=5,
        )
    )
    report = analyze(vote_table_from_arrow(night.table), seed=5, draws=0)
    bots = {voter for voter, kind in night.truth.abusive.items() if kind == "bot"}
    assert bots
    assert bots <= set(report.voter_labels().get("machine_timing", ()))
    assert set(report.flagged_voters) <= set(night.truth.abusive)
