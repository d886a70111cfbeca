"""The simulated judges and electorate: known numbers kept, totals met, votes add up."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.seasons import bundled_season34
from ballroom.services.simulated_night import (
    ElectorateModel,
    ScoreModel,
    SkillFit,
    WeekLayout,
    fit_skills,
    initial_popularity,
    night_volume,
    night_votes,
    simulate_scores,
    week_layout,
)


def _layouts() -> dict[int, WeekLayout]:
    season = bundled_season34()
    return {w.number: week_layout(w, w.couples) for w in season.weeks}


def _fit() -> SkillFit:
    season = bundled_season34()
    return fit_skills(list(_layouts().values()), [c.id for c in season.couples], ScoreModel())


def test_layout_holds_known_scores_and_published_totals() -> None:
    layouts = _layouts()
    premiere = layouts[1]
    whitney = premiere.couples.index("whitney")
    assert premiere.known[whitney, 0].tolist() == [7.0, 8.0]  # derek, bruno as keyed
    assert premiere.known.shape == (14, 1, 2)
    semifinal = layouts[10]
    assert semifinal.known.shape == (6, 2, 3)
    assert sorted(total for _, total in semifinal.groups) == [55, 57, 57, 58, 58, 59]


def test_simulated_sheets_keep_every_known_score_and_total() -> None:
    layouts = _layouts()
    fit = _fit()
    rng = np.random.default_rng(3)
    for _ in range(20):
        for layout in layouts.values():
            sheet = simulate_scores(layout, fit, ScoreModel(), rng)
            assert not np.isnan(sheet).any()
            assert ((sheet >= 1) & (sheet <= 10)).all()
            assert (sheet == np.rint(sheet)).all()
            known = ~layout.unknown
            assert (sheet[known] == layout.known[known]).all()
            for mask, total in layout.groups:
                assert sheet[mask].sum() == total
    week2 = layouts[2]
    sheet = simulate_scores(week2, fit, ScoreModel(), rng)
    assert sheet[week2.couples.index("hilaria")].sum() == 21


@settings(max_examples=60, deadline=None)
@given(
    slots=st.integers(min_value=1, max_value=9),
    data=st.data(),
    mean=st.floats(min_value=-5, max_value=15),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_any_feasible_total_is_met_within_range(
    slots: int, data: st.DataObject, mean: float, seed: int
) -> None:
    total = data.draw(st.integers(min_value=slots, max_value=10 * slots))
    known = np.full((1, 1, slots), np.nan)
    mask = np.ones_like(known, dtype=np.bool_)
    layout = WeekLayout(
        1, ("x",), ("Dance",), tuple(f"j{i}" for i in range(slots)), known, ((mask, total),)
    )
    fit = SkillFit(base=mean, trend=0.0, skill={"x": 0.0})
    sheet = simulate_scores(layout, fit, ScoreModel(), np.random.default_rng(seed))
    assert sheet.sum() == total
    assert ((sheet >= 1) & (sheet <= 10)).all()


def test_fit_finds_the_rising_trend_and_the_stronger_dancers() -> None:
    fit = _fit()
    assert fit.trend > 0
    # Irwin (15/20 premiere, 59/60 semifinal, 89/90 finale) out-dances Richter (9/20, 29/40).
    assert fit.skill["robert"] > fit.skill["andy"]
    assert 4 < fit.mean("robert", 1) < 9


def test_votes_add_up_to_the_volume_and_follow_popularity() -> None:
    model = ElectorateModel()
    popularity = np.array([0.5, 0.0, -0.5, 1.5])
    points = np.array([20.0, 20.0, 20.0, 20.0])
    votes = night_votes(popularity, points, 40_000_001, model)
    assert votes.sum() == 40_000_001
    assert (votes >= 0).all()
    assert list(np.argsort(-votes)) == [3, 0, 1, 2]


@settings(max_examples=60, deadline=None)
@given(
    popularity=st.lists(st.floats(min_value=-3, max_value=3), min_size=2, max_size=10),
    boost=st.floats(min_value=0.01, max_value=2),
    volume=st.integers(min_value=0, max_value=10**9),
)
def test_more_popularity_never_means_fewer_votes(
    popularity: list[float], boost: float, volume: int
) -> None:
    model = ElectorateModel()
    before = np.array(popularity)
    points = np.linspace(10, 30, len(popularity))
    after = before.copy()
    after[0] += boost
    first = night_votes(before, points, volume, model)
    second = night_votes(after, points, volume, model)
    assert first.sum() == second.sum() == volume
    assert second[0] >= first[0]


def test_volumes_published_exactly_and_simulated_between() -> None:
    model = ElectorateModel(volume_sd=0.0)
    rng = np.random.default_rng(0)
    assert night_volume(4, model, rng) == (40_000_000, True)
    assert night_volume(11, model, rng) == (72_000_000, True)
    volume, published = night_volume(7, model, rng)
    assert not published
    assert 40_000_000 < volume < 72_000_000
    early, _ = night_volume(1, model, rng)
    assert early < 40_000_000
    nothing = ElectorateModel(published_volumes={}, volume_sd=0.0)
    assert night_volume(3, nothing, rng) == (nothing.default_volume, False)


def test_popularity_mixes_quality_and_fan_base() -> None:
    quality = np.array([-1.0, 0.0, 1.0])
    only_quality = ElectorateModel(rho=1.0, spread=2.0)
    assert initial_popularity(quality, only_quality, np.random.default_rng(1)) == pytest.approx(
        2 * quality
    )
    first = initial_popularity(quality, ElectorateModel(), np.random.default_rng(9))
    again = initial_popularity(quality, ElectorateModel(), np.random.default_rng(9))
    assert (first == again).all()
