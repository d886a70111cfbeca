"""The co-action kernel: numpy and PyTorch agree bit for bit, and with the detector before it."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters.interchange import VoteTable, vote_table_from_arrow
from ballroom.cli import main
from ballroom.errors import InvalidInput
from ballroom.integrity import coaction
from ballroom.integrity.coaction import ACCEL_ENV, CoAction, co_action, selected
from ballroom.integrity.detectors import Thresholds, _groups, detect
from ballroom.integrity.electorate import Campaign, Scenario, generate
from ballroom.integrity.tally import NO_TIME, allocations

needs_torch = pytest.mark.skipif(find_spec("torch") is None, reason="PyTorch is not installed")
BACKENDS = ["cpu", pytest.param("torch", marks=needs_torch)]
MINUTE_US = 60_000_000
FIELDS = ("labels", "signature", "window", "observed", "expected", "first")


def _reference(
    rows: npt.NDArray[np.int8], ts: npt.NDArray[np.int64], window_us: int, minimum: int, z: float
) -> list[tuple[list[int], float]]:
    """The lockstep detector's arithmetic before the kernel moved (hashed signatures)."""
    if len(rows) < max(minimum, 1):
        return []
    weights = np.random.default_rng(0x10CC).integers(1, 2**61, rows.shape[1], dtype=np.int64)
    signature = (rows.astype(np.int64) * weights).sum(axis=1)
    sig_code = pc.dictionary_encode(pa.array(signature)).indices.to_numpy().astype(np.int64)
    bucket = ts // window_us
    bucket = bucket - bucket.min()
    n_buckets = int(bucket.max()) + 1
    encoded = pc.dictionary_encode(pa.array(sig_code * n_buckets + bucket))
    key_code = encoded.indices.to_numpy().astype(np.int64)
    kv = encoded.dictionary.to_numpy()
    observed = np.bincount(key_code)
    sig_total = np.bincount(sig_code)
    bucket_total = np.bincount(bucket, minlength=n_buckets)
    expected = sig_total[kv // n_buckets] * bucket_total[kv % n_buckets] / len(rows)
    dense = (observed >= minimum) & (observed >= expected + z * np.sqrt(expected + 1))
    member = dense[key_code]
    return [
        (group.tolist(), float(expected[dense & (kv // n_buckets == sig_code[group[0]])].sum()))
        for group in _groups(np.where(member, sig_code, -1), member)
    ]


def _found(cells: CoAction) -> list[tuple[list[int], float]]:
    """What the detector reads off the kernel: groups, largest first, and their expectation."""
    return [
        (group.tolist(), cells.expected_of(int(cells.labels[group[0]])))
        for group in _groups(cells.labels, cells.labels >= 0)
    ]


def _assert_same(left: CoAction, right: CoAction) -> None:
    for name in FIELDS:
        a, b = getattr(left, name), getattr(right, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), name  # bit for bit: the floats too


def _night(
    seed: int, ballots: int, couples: int
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    """Organic-looking ballots over two hours plus two lockstep campaigns."""
    rng = np.random.default_rng(seed)
    rows = (rng.integers(0, 3, (ballots, couples)) * 5).astype(np.int8)
    ts = rng.integers(0, 120 * MINUTE_US, ballots)
    for target, start in ((2, 20), (0, 75)):
        members = rng.choice(ballots, ballots // 20, replace=False)
        rows[members] = 10
        rows[members, target] = 0
        ts[members] = rng.integers(start * MINUTE_US, (start + 4) * MINUTE_US, len(members))
    return rows, ts


@pytest.mark.parametrize("accel", BACKENDS)
@pytest.mark.parametrize("couples", [11, 25])
def test_kernel_reproduces_the_detector_before_it(accel: str, couples: int) -> None:
    rows, ts = _night(3, 30_000, couples)
    cells = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, accel=accel)
    found = _found(cells)
    assert len(found) >= 2  # the campaigns, at least
    assert found == _reference(rows, ts, MINUTE_US, 8, 5.0)


@needs_torch
def test_backends_agree_on_a_night_of_ballots() -> None:
    rows, ts = _night(8, 50_000, 11)
    numpy_cells = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, accel="cpu")
    torch_cells = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, accel="torch")
    assert numpy_cells.backend == "numpy"
    assert torch_cells.backend.startswith("torch-")
    assert len(numpy_cells.signature) >= 8  # minutes of both campaigns
    _assert_same(numpy_cells, torch_cells)


# Few distinct values and instants, so that equal ballots and shared windows are common.
_COUPLES = st.integers(1, 24)
_VALUE_SETS = st.sampled_from([(0, 10), (0, 5, 10), tuple(range(11)), (10,), (1, 2, 127)])


@st.composite
def _ballots(draw: st.DrawFn) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], int]:
    couples = draw(_COUPLES)
    values = draw(_VALUE_SETS)
    count = draw(st.integers(0, 60))
    window_us = draw(st.sampled_from([1, 7, 1_000_000, MINUTE_US]))
    seed = draw(st.integers(0, 2**32 - 1))
    spread = draw(st.sampled_from([1, 50, 10 * MINUTE_US, 2**40]))
    rng = np.random.default_rng(seed)
    shapes = rng.choice(values, (draw(st.integers(1, 6)), couples)).astype(np.int8)
    rows = shapes[rng.integers(0, len(shapes), count)]
    ts = rng.integers(-spread, spread, count, dtype=np.int64)
    return rows, ts, window_us


@needs_torch
@settings(max_examples=150, deadline=None)
@given(_ballots(), st.integers(-1, 9), st.sampled_from([-3.0, 0.0, 0.5, 2.0, 5.0]))
def test_backends_agree_bit_for_bit(
    ballots: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], int], minimum: int, z: float
) -> None:
    rows, ts, window_us = ballots
    numpy_cells = co_action(rows, ts, window_us=window_us, minimum=minimum, z=z, accel="cpu")
    torch_cells = co_action(rows, ts, window_us=window_us, minimum=minimum, z=z, accel="torch")
    _assert_same(numpy_cells, torch_cells)
    windows = ts // window_us
    if not len(ts) or int(windows.max()) - int(windows.min()) < 10**6:
        # (The old detector allocated one counter per window of the span: only short spans.)
        assert _found(numpy_cells) == _reference(rows, ts, window_us, minimum, z)


@pytest.mark.parametrize("accel", BACKENDS)
@settings(max_examples=60, deadline=None)
@given(ballots=_ballots())
def test_signatures_are_exact_lexicographic_ranks(
    accel: str, ballots: tuple[npt.NDArray[np.int8], npt.NDArray[np.int64], int]
) -> None:
    rows, ts, window_us = ballots
    # Every cell dense: each ballot is labelled with its signature.
    cells = co_action(rows, ts, window_us=window_us, minimum=0, z=-1e9, accel=accel)
    if len(rows):
        _, rank = np.unique(rows, axis=0, return_inverse=True)
        assert np.array_equal(cells.labels, rank.reshape(-1))
        assert cells.observed.sum() == len(rows)
        keys = list(zip(cells.signature.tolist(), cells.window.tolist(), strict=True))
        assert keys == sorted(set(keys))  # canonical: sorted, one entry per cell
    else:
        assert len(cells.labels) == len(cells.signature) == 0


@pytest.mark.parametrize("accel", BACKENDS)
def test_wide_allocations_do_not_wrap(accel: str) -> None:
    # 30 couples at 0-10 need 104 bits: one int64 word would wrap and could merge ballots.
    rows = np.zeros((16, 30), dtype=np.int8)
    rows[:8, 0] = 1  # differs in the first couple only
    ts = np.zeros(16, dtype=np.int64)
    cells = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=-1e9, accel=accel)
    assert cells.labels.tolist() == [1] * 8 + [0] * 8
    assert cells.observed.tolist() == [8, 8]


@pytest.mark.parametrize("accel", BACKENDS)
def test_empty_and_below_minimum_inputs_find_nothing(accel: str) -> None:
    empty = co_action(
        np.zeros((0, 11), np.int8), np.zeros(0, np.int64), window_us=1, minimum=8, z=5, accel=accel
    )
    assert len(empty.labels) == len(empty.signature) == 0
    assert empty.expected.dtype == np.float64
    few = co_action(
        np.full((7, 11), 10, np.int8),
        np.zeros(7, np.int64),
        window_us=1,
        minimum=8,
        z=0,
        accel=accel,
    )
    assert few.labels.tolist() == [-1] * 7
    assert len(few.signature) == 0


def test_rejects_what_it_cannot_pack() -> None:
    ts = np.zeros(2, dtype=np.int64)
    with pytest.raises(InvalidInput):
        co_action(np.array([[1], [-1]], np.int8), ts, window_us=1, minimum=1, z=0.0, accel="cpu")
    with pytest.raises(InvalidInput):
        co_action(np.zeros((3, 2), np.int8), ts, window_us=1, minimum=1, z=0.0, accel="cpu")
    with pytest.raises(InvalidInput):
        co_action(np.zeros((2, 2), np.int8), ts, window_us=0, minimum=1, z=0.0, accel="cpu")


# --------------------------------------------------------------------------- the whole report


@pytest.fixture(scope="module")
def campaign_night() -> VoteTable:
    scenario = Scenario(
        voters=8000,
        farms=6,
        bots=2,
        seed=11,
        campaigns=(Campaign("hilaria", 0.03), Campaign("andy", 0.01, start_s=2400)),
    )
    return vote_table_from_arrow(generate(scenario).table)


@needs_torch
def test_detect_reports_the_same_on_both_backends(campaign_night: VoteTable) -> None:
    table = campaign_night
    alloc = allocations(table)
    reports = {}
    for accel in ("cpu", "torch"):
        with selected(accel):
            findings = detect(table, alloc)
        reports[accel] = (
            [cluster.as_dict() for cluster in findings.clusters],
            [campaign.as_dict() for campaign in findings.campaigns],
            findings.flagged.tolist(),
        )
    lockstep = [c for c in reports["cpu"][0] if c["kind"] == "lockstep"]
    assert len(lockstep) >= 2
    assert reports["cpu"] == reports["torch"]


@pytest.mark.parametrize("accel", BACKENDS)
def test_lockstep_clusters_match_the_detector_before_it(
    accel: str, campaign_night: VoteTable
) -> None:
    table = campaign_night
    alloc = allocations(table)
    with selected(accel):  # the test of old, without the guards for big nights
        findings = detect(table, alloc, Thresholds(lockstep_alpha=None, lockstep_factor=0.0))
    voted = np.flatnonzero(alloc.web_ts != NO_TIME)
    before = _reference(alloc.web[voted], alloc.web_ts[voted], MINUTE_US, 8, 5.0)
    clusters = [c for c in findings.clusters if c.kind == "lockstep"]
    assert [(sorted(alloc.voters.labels_of(voted[g])), round(e, 1)) for g, e in before] == [
        (c.voters, c.signals["expected"]) for c in clusters
    ]
    assert all(
        f"baseline expects {e:.1f}" in c.evidence
        for (_, e), c in zip(before, clusters, strict=True)
    )


def _big_night_with_a_campaign(
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    """600k ballots over 90 minutes: 40 common shapes saved at random moments, plus a campaign
    of 100k identical ballots inside 10 minutes (which skews every other shape's baseline), plus
    20 identical, unusual ballots inside one minute (a farm)."""
    shapes = rng.integers(0, 11, (40, 11)).astype(np.int8)
    organic = shapes[rng.integers(0, 40, 500_000)]
    organic_ts = rng.integers(0, 90 * MINUTE_US, 500_000)
    campaign = np.tile(np.array([10] * 10 + [0], np.int8), (100_000, 1))
    campaign_ts = rng.integers(40 * MINUTE_US, 50 * MINUTE_US, 100_000)
    farm = np.tile(np.array([3, 7, 1, 0, 0, 9, 2, 0, 4, 0, 6], np.int8), (20, 1))
    farm_ts = 70 * MINUTE_US + rng.integers(0, MINUTE_US, 20)
    rows = np.concatenate([organic, campaign, farm])
    ts = np.concatenate([organic_ts, campaign_ts, farm_ts]).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    return rows[order], ts[order]


@pytest.mark.parametrize("accel", BACKENDS)
def test_a_big_night_reports_the_campaign_and_the_farm_but_not_popular_ballots(
    accel: str,
) -> None:
    rows, ts = _big_night_with_a_campaign(np.random.default_rng(5))
    plain = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, accel=accel)
    guarded = co_action(
        rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, alpha=0.001, factor=2.0, accel=accel
    )

    def shapes(cells: CoAction) -> set[tuple[int, ...]]:
        return {tuple(rows[first]) for first in cells.first}

    campaign, farm = (10,) * 10 + (0,), (3, 7, 1, 0, 0, 9, 2, 0, 4, 0, 6)
    # The plain z-test takes the campaign's skew of the baseline for co-action of the crowd.
    assert len(shapes(plain) - {campaign, farm}) > 5
    assert shapes(guarded) == {campaign, farm}
    in_campaign = [tuple(rows[first]) == campaign for first in guarded.first]
    assert set(guarded.window[in_campaign].tolist()) == set(range(40, 50))  # all its minutes


def test_the_family_z_grows_with_the_cells_tested_and_never_falls_below_z() -> None:
    with pytest.raises(InvalidInput, match="alpha"):
        co_action(np.zeros((2, 2), np.int8), np.zeros(2, np.int64), window_us=1, minimum=1,
                  z=0.0, alpha=1.5)  # fmt: skip
    test = coaction._Test(minimum=8, z=5.0, alpha=0.001, factor=2.0)
    assert test.z_for(1) == 5.0
    assert test.z_for(10**6) == pytest.approx((2 * np.log(1e9)) ** 0.5)
    assert test.z_for(10**6) < test.z_for(10**9)
    assert coaction._Test(minimum=8, z=5.0, alpha=None, factor=0.0).z_for(10**9) == 5.0


# --------------------------------------------------------------------------- choosing a backend


def test_environment_and_selection_choose_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    rows, ts = np.full((8, 3), 10, np.int8), np.zeros(8, np.int64)
    monkeypatch.setenv(ACCEL_ENV, "cpu")
    assert co_action(rows, ts, window_us=1, minimum=8, z=0.0).backend == "numpy"
    monkeypatch.setenv(ACCEL_ENV, "quantum")
    with pytest.raises(InvalidInput):
        co_action(rows, ts, window_us=1, minimum=8, z=0.0)
    with selected("cpu"):  # the CLI's choice wins over the environment
        assert co_action(rows, ts, window_us=1, minimum=8, z=0.0).backend == "numpy"
    with pytest.raises(InvalidInput):
        co_action(rows, ts, window_us=1, minimum=8, z=0.0)  # restored on exit
    monkeypatch.delenv(ACCEL_ENV)
    auto = co_action(rows, ts, window_us=1, minimum=8, z=0.0).backend
    assert auto == ("torch-cuda" if coaction._cuda_present() else "numpy")


@pytest.fixture(scope="module")
def night_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coaction") / "night.csv"
    result = CliRunner().invoke(main, ["simulate", str(path), "--voters", "3000", "--seed", "4"])
    assert result.exit_code == 0, result.output
    return path


@needs_torch
def test_cli_accel_options_print_the_same_report(night_csv: Path) -> None:
    bodies = []
    for accel in ("cpu", "torch", "auto"):
        result = CliRunner().invoke(
            main, ["integrity", "analyze", str(night_csv), "--json", "--accel", accel]
        )
        assert result.exit_code == 0, result.output
        bodies.append(json.loads(result.output))
    assert any(c["kind"] == "lockstep" for c in bodies[0]["clusters"])
    assert bodies[0] == bodies[1] == bodies[2]


def _without_torch(*cli: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a fresh interpreter where ``import torch`` fails, as if not installed."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from ballroom.cli import main\n"
        f"main({list(cli)!r}, prog_name='ballroom')"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_without_torch_the_cpu_paths_work_and_torch_is_refused(night_csv: Path) -> None:
    for accel in ("auto", "cpu"):
        ran = _without_torch("integrity", "analyze", str(night_csv), "--json", "--accel", accel)
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout)["voters"] > 0
    refused = _without_torch("integrity", "analyze", str(night_csv), "--accel", "torch")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: invalid_input [accel]: accel torch needs PyTorch: pip install 'ballroom[gpu]'"
    ]
