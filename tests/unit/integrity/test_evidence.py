"""The evidence model: weak signals never flag alone or together; strong ones do; SIM banks
are found and human texters are not."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballroom.adapters.interchange import vote_table_from_arrow
from ballroom.integrity import evidence as model
from ballroom.integrity import sms
from ballroom.integrity.analysis import analyze
from ballroom.integrity.electorate import Scenario, generate
from ballroom.integrity.evidence import Evidence, stepped
from ballroom.integrity.sms import allowed_sd, phone_numbers, timestamp_resolution_s
from ballroom.integrity.tally import allocations


@given(
    accounts=st.integers(min_value=1, max_value=5),
    disposable=st.booleans(),
    family_numbers=st.integers(min_value=0, max_value=4),
    fast_texter=st.booleans(),
    numbered=st.integers(min_value=0, max_value=2),
)
def test_what_a_household_shows_never_flags(
    accounts: int, disposable: bool, family_numbers: int, fast_texter: bool, numbered: int
) -> None:
    # A tablet shared by up to five, a throw-away address, a family plan's consecutive
    # numbers, one fast texter, two numbered names: together still short of the flag.
    evidence = Evidence(1)
    evidence.add("device", stepped(np.array([accounts]), model.DEVICE_STEPS))
    evidence.add("disposable", model.DISPOSABLE * disposable)
    evidence.add("sms_number_run", stepped(np.array([family_numbers]), model.SMS_RUN_STEPS))
    evidence.add("sms_machine_pace", model.SMS_LONE_MACHINE * fast_texter)
    evidence.add("sequential", stepped(np.array([numbered]), model.SEQUENTIAL_STEPS))
    assert not evidence.flagged()[0]


@given(st.sampled_from(["mailbox", "device", "sequential", "machine_timing"]))
def test_a_strong_signal_flags_alone(name: str) -> None:
    evidence = Evidence(2)
    strength = {
        "mailbox": model.MAILBOX,
        "device": stepped(np.array([10]), model.DEVICE_STEPS)[0],
        "sequential": stepped(np.array([5]), model.SEQUENTIAL_STEPS)[0],
        "machine_timing": model.MACHINE_TIMING,
    }[name]
    evidence.add(name, np.array([strength, 0.0]))
    assert evidence.flagged().tolist() == [True, False]
    assert evidence.of(0) == {name: 1.0}


@given(st.lists(st.text(alphabet="+0123456789 ()-x\u0662", max_size=18), max_size=30))
def test_phone_numbers_are_the_digits_of_each_string(values: list[str]) -> None:
    # The "+digits" fast path and the regular expression give what removing every non-digit
    # would: the number, or -1 when no digit or more than 15 are left.
    def reference(value: str) -> int:
        digits = re.sub(r"[^0-9]", "", value)
        return int(digits) if 1 <= len(digits) <= 15 else -1

    assert phone_numbers(values).tolist() == [reference(value) for value in values]


def test_runs_of_consecutive_numbers_and_their_first_numbers() -> None:
    # 100, 101, 103 (a dead card skipped) are one run; 200 alone; -1 texts from no number.
    number = np.array([103, 200, -1, 100, 101, 101], dtype=np.int64)
    run, first = sms._runs(number)
    assert run.tolist() == [3, 1, 0, 3, 3, 3]
    assert first.tolist() == [100, 200]
    assert sms._runs(np.full(3, -1, dtype=np.int64))[1].size == 0


def test_the_machine_paced_texters_keep_what_their_clusters_read() -> None:
    texting = sms.texting(*_one_bank_and_a_fan())
    machine = texting.machine_paced()
    assert machine.voters.tolist() == np.flatnonzero(texting.machine_pace).tolist()
    at = machine.at(machine.voters)
    for name in ("texts", "mean_gap_s", "gap_cv", "number", "run"):
        assert np.array_equal(
            getattr(machine, name)[at], getattr(texting, name)[machine.voters], equal_nan=True
        )
    assert machine.run_start(machine.number).tolist() == [5550100] * 6


def _one_bank_and_a_fan() -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    # Voters 0-5: six consecutive numbers texting every 0.5 s; voter 6 texts ten times by hand.
    codes, ts = [], []
    for text in range(10):
        for voter in range(6):
            codes.append(voter)
            ts.append(1_000_000 * text // 2 + voter * 1000)
        codes.append(6)
        ts.append(text * 37_000_000 + (text % 3) * 9_000_000)
    order = np.argsort(ts, kind="stable")
    numbers = np.array([5550100 + v for v in range(6)] + [7770000], dtype=np.int64)
    return (
        np.asarray(codes, dtype=np.int32)[order],
        np.asarray(ts, dtype=np.int64)[order],
        np.ones(len(codes), dtype=bool),
        7,
        numbers,
    )


def test_phone_numbers_and_clock_resolution() -> None:
    assert phone_numbers(["+1 (212) 555-0100", "", "n/a"]).tolist() == [12125550100, -1, -1]
    assert timestamp_resolution_s(np.array([3_000_000, 7_000_000])) == 1.0
    assert timestamp_resolution_s(np.array([3_001_000, 7_000_000])) == 1e-3
    assert timestamp_resolution_s(np.array([3_000_001])) == 1e-6
    # A 1-s clock rounds every gap: a machine's spread is at least half a tick.
    assert allowed_sd(2.0, 1.0) > 0.5
    assert allowed_sd(2.0, 1e-6) < 0.21


NIGHT = Scenario(
    voters=4000, farms=2, bots=1, seed=11, households=300, household_size=(3, 5),
    nats=2, nat_size=(200, 300), fan_clubs=1, sms_fans=600, family_plans=0.5,
    sim_banks=1, dialers=1, ts_resolution_s=1.0,
)  # fmt: skip


def test_households_nats_and_fans_are_not_flagged_sim_banks_are() -> None:
    electorate = generate(NIGHT)
    report = analyze(vote_table_from_arrow(electorate.table), draws=0)
    flagged = set(report.flagged_voters)
    truth = electorate.truth
    for name in ("household", "nat", "fan-club", "sms-fan"):
        assert not flagged & set(truth.benign[name]), name
    for bank in truth.sim_banks:
        assert set(bank["voters"]) <= flagged, bank["style"]
    kinds = {cluster.kind for cluster in report.findings.clusters if cluster.flagged}
    assert "sms-bank" in kinds
    sms = next(c for c in report.findings.clusters if c.kind == "sms-bank")
    assert "machine pace" in sms.evidence
    assert "texts per second" in sms.evidence
    assert "(flagged at 1.0)" in sms.evidence
    # Flagged voters carry their evidence, strongest first.
    body = report.as_dict()
    strengths = [entry["strength"] for entry in body["flagged_evidence"]]
    assert strengths == sorted(strengths, reverse=True)
    assert {entry["voter"] for entry in body["flagged_evidence"]} == flagged
    assert all(entry["strength"] >= 1.0 for entry in body["flagged_evidence"])


def test_texting_in_parts_equals_texting_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Big nights take the texters a range of voters at a time: the same numbers as one go.
    electorate = generate(NIGHT)
    table = vote_table_from_arrow(electorate.table)
    alloc = allocations(table)
    assert table.phone is not None
    numbers = phone_numbers(table.phone.values)[table.voter_codes(table.phone, alloc.first_row)]

    def run() -> sms.Texting:
        return sms.texting(table.voter.codes, table.ts_us, table.sms, alloc.n_voters, numbers)

    whole = run()
    monkeypatch.setattr(sms, "_PART_ROWS", 97)
    monkeypatch.setattr(sms, "_SLICE", 1000)
    parts = run()
    for name in ("texts", "machine_pace", "run", "exchange_machines"):
        assert np.array_equal(getattr(whole, name), getattr(parts, name)), name
    for name in ("mean_gap_s", "gap_cv"):
        assert np.allclose(getattr(whole, name), getattr(parts, name), equal_nan=True), name
    assert whole.machine_pace.any()


def test_a_placeholder_mailbox_or_coarse_fingerprint_flags_nobody() -> None:
    # Hundreds of real voters behind "none@none.com" or one fingerprint value: not one person.
    electorate = generate(Scenario(voters=3000, farms=0, bots=0, seed=2, campaigns=()))
    table = electorate.table
    n = table.num_rows
    mask = pa.array(np.arange(n) % 7 == 0)
    table = table.set_column(
        table.schema.get_field_index("email"),
        "email",
        pc.if_else(mask, "none@none.com", table.column("email")),
    )
    table = table.set_column(
        table.schema.get_field_index("device"),
        "device",
        pc.if_else(pa.array(np.arange(n) % 5 == 0), "iphone-safari-17", table.column("device")),
    )
    report = analyze(vote_table_from_arrow(table), draws=0)
    assert report.flagged_voters == []


def test_an_exchange_counts_only_beyond_the_nights_share_of_fast_texters() -> None:
    # 1,000 exchanges of 50 texters, a fifth of them fast (gateway bursts): none stands
    # out. One exchange of 20 numbers, all fast (a dialer): it does.
    rng = np.random.default_rng(1)
    busy = (np.arange(1000).repeat(50) * sms.EXCHANGE + rng.integers(0, 9999, 50_000)).astype(
        np.int64
    )
    dialer = 5000 * sms.EXCHANGE + np.arange(20, dtype=np.int64) * 7
    number = np.concatenate([busy, dialer])
    machine = np.concatenate([rng.random(50_000) < 0.2, np.ones(20, dtype=bool)])
    judged = np.ones(len(number), dtype=bool)
    excess = sms._exchange_excess(number, machine, judged)
    assert not excess[:50_000].any()
    assert (excess[50_000:] == 20).all()


def test_bots_and_farms_that_also_text_stay_in_their_own_clusters() -> None:
    # Camouflaged bots text a little too: they are bots, not a SIM bank (and no warning).
    scenario = Scenario(voters=6000, farms=4, bots=2, camouflage=0.6, seed=3, sim_banks=1)
    electorate = generate(scenario)
    report = analyze(vote_table_from_arrow(electorate.table), draws=0)
    bots = {v for v, kind in electorate.truth.abusive.items() if kind == "bot"}
    for cluster in report.findings.clusters:
        if cluster.kind == "sms-bank":
            assert not set(cluster.voters) & bots
            assert set(cluster.voters) <= set(electorate.truth.sim_banks[0]["voters"])


def test_a_steady_pace_between_one_and_two_clock_ticks_is_machine_paced() -> None:
    # Whole seconds, 1.7 s a text: gaps of 1 and 2 s only. Above the 1.5 s no person beats,
    # below the two ticks the address timing needs; one number is one sender, so its gaps
    # confined to two adjacent ticks are a steady pace. Gaps of 1 to 3 s are not.
    steady = np.floor(1000.0 + 1.7 * np.arange(10))
    uneven = 2000.0 + np.cumsum([0, 1, 3, 1, 3, 2, 1, 3, 1, 2])
    ts_us = (np.concatenate([steady, uneven]) * 1e6).astype(np.int64)
    codes = np.repeat(np.arange(2), 10)
    numbers = np.array([15550001000, 15550002000], dtype=np.int64)
    texts = sms.texting(codes, ts_us, np.ones(20, dtype=bool), 2, numbers)
    assert texts.resolution_s == 1.0
    assert texts.machine_pace.tolist() == [True, False]
