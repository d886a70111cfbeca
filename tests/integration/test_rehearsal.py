"""The live-night rehearsal on the embedded SQLite store: ingest, results, export, integrity."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for
from ballroom.adapters.db import schema as db
from ballroom.adapters.results_request import parse_request
from ballroom.domain.night import Night
from ballroom.domain.rules import compute
from ballroom.errors import InvalidInput
from ballroom.seasons import bundled_season34
from ballroom.services.rehearsal import Rehearsal, RehearsalConfig, night_request, rehearse
from ballroom.services.replay import ReplayConfig, replay_season
from ballroom.services.verification import verify_export
from ballroom.web.report import render_report

SMALL = RehearsalConfig(seed=5, voters=800, farms=3, bots=1, draws=20)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rehearsal, str, Path]:
    """One small rehearsal whose store and files are kept for inspection."""
    root = tmp_path_factory.mktemp("rehearsal")
    url = f"sqlite:///{root / 'store.db'}"
    rehearsal = rehearse(bundled_season34(), SMALL, folder=root / "out", db_url=url)
    return rehearsal, url, root / "out"


def test_every_acknowledged_ballot_is_in_the_store(kept: tuple[Rehearsal, str, Path]) -> None:
    rehearsal, url, folder = kept
    summary = rehearsal.ingest.summary
    assert summary.accepted + summary.refused + summary.duplicate == summary.ballots
    assert summary.duplicate == 0
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.select(db.vote_log.c.seq, db.vote_log.c.ballot_id, db.vote_log.c.hash)
                .where(db.vote_log.c.window_id == rehearsal.window)
                .order_by(db.vote_log.c.seq)
            ).all()
    finally:
        engine.dispose()
    assert len(stored) == summary.accepted
    with (folder / "export" / "receipts.csv").open(encoding="utf-8", newline="") as handle:
        published = list(csv.reader(handle))[1:]
    assert published == [[str(seq), ballot, digest] for seq, ballot, digest in stored]
    assert rehearsal.verification.receipts_match


def test_the_live_caps_refuse_exactly_what_was_planted(kept: tuple[Rehearsal, str, Path]) -> None:
    rehearsal, _, _ = kept
    planted = rehearsal.planted
    assert planted.over_cap_texts >= SMALL.farms  # 1 to 5 over the cap per farm owner
    assert planted.late_ballots == SMALL.late_ballots
    assert rehearsal.ingest.summary.refused_by_code == {
        "cap_exceeded": planted.over_cap_texts,
        "window_closed": planted.late_ballots,
    }


def test_verify_passes_and_tallies_match_the_store(kept: tuple[Rehearsal, str, Path]) -> None:
    rehearsal, _, folder = kept
    assert rehearsal.ok, rehearsal.problems
    checked = verify_export(folder / "export")
    assert checked["root"] == rehearsal.verification.root
    assert checked["entries"] == rehearsal.ingest.summary.accepted
    store_totals = {couple: counts["total"] for couple, counts in rehearsal.tallies.items()}
    assert checked["totals"] == store_totals
    assert sum(store_totals.values()) == rehearsal.ingest.votes
    chain = json.loads((folder / "export" / "chain.json").read_text(encoding="utf-8"))
    assert chain["root"] == rehearsal.verification.root


def test_results_come_from_the_store_tallies(kept: tuple[Rehearsal, str, Path]) -> None:
    rehearsal, _, folder = kept
    totals = {couple: counts["total"] for couple, counts in rehearsal.tallies.items()}
    assert dict(rehearsal.night.votes) == totals
    request = json.loads((folder / "night.json").read_text(encoding="utf-8"))
    assert request == night_request(rehearsal.night)
    # The saved request is the docs/interfaces.md §1 input, complete and checked against the
    # shipped schema: anyone recomputes the same night.
    checked = parse_request(request)
    assert isinstance(checked, Night)
    again = compute(checked)
    assert again.as_dict() == rehearsal.result.as_dict()
    standings = json.loads((folder / "standings.json").read_text(encoding="utf-8"))
    assert standings == json.loads(json.dumps(rehearsal.result.as_dict()))
    assert rehearsal.night.judges == ("carrie-ann", "derek", "bruno")
    assert len(rehearsal.result.eliminated) == 1
    assert rehearsal.real_eliminated == ("hilaria",)
    # Disney Night's scores were never published: every couple's points are simulated.
    assert not any(rehearsal.points_known.values())


def test_integrity_finds_the_planted_farms_and_campaign(
    kept: tuple[Rehearsal, str, Path],
) -> None:
    rehearsal, _, folder = kept
    found = rehearsal.integrity
    farms = [group for group in found.groups if group["kind"] == "farm"]
    assert len(farms) == SMALL.farms
    for farm in farms:
        assert farm["flagged"] >= 0.8 * farm["accounts"], farm
    assert found.recall >= 0.9
    assert found.precision >= 0.9
    assert found.tactical_flagged <= 0.01 * found.tactical
    assert "hilaria" in {campaign["target"] for campaign in found.campaigns_found}
    effect = found.counterfactual
    assert effect is not None
    # The analysis recounts the exported log itself: it must agree with the store's result.
    assert effect["eliminated"] == list(rehearsal.result.eliminated)
    assert isinstance(effect["margin"], float)
    report = json.loads((folder / "integrity.json").read_text(encoding="utf-8"))
    assert len(report["flagged_voters"]) == found.flagged


def test_same_seed_gives_the_same_results_json(tmp_path: Path) -> None:
    season = bundled_season34()
    config = replace(SMALL, voters=300, draws=10)
    first = rehearse(season, config, folder=tmp_path / "a")
    second = rehearse(season, config, folder=tmp_path / "b")
    assert first.summary() == second.summary()
    assert (tmp_path / "a" / "rehearsal.json").read_bytes() == (
        tmp_path / "b" / "rehearsal.json"
    ).read_bytes()
    other = rehearse(season, replace(config, seed=6), folder=None)
    assert other.summary()["verification"]["root"] != first.summary()["verification"]["root"]
    assert other.folder is None


def test_a_database_that_already_holds_the_night_is_refused(
    kept: tuple[Rehearsal, str, Path],
) -> None:
    _, url, _ = kept
    with pytest.raises(InvalidInput) as caught:
        rehearse(bundled_season34(), replace(SMALL, voters=200), db_url=url)
    assert caught.value.field == "db"
    assert "s34w04" in caught.value.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"voters": 10}, "rehearsal_voters"),
        ({"seed": -1}, "seed"),
        ({"farms": -1}, "farms"),
        ({"campaign_share": 1.5}, "campaign_share"),
    ],
)
def test_bad_configs_are_refused_before_anything_runs(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        rehearse(bundled_season34(), replace(SMALL, **change))  # type: ignore[arg-type]
    assert caught.value.field == field


def test_report_contains_the_rehearsal_section(kept: tuple[Rehearsal, str, Path]) -> None:
    rehearsal, _, _ = kept
    replay = replay_season(bundled_season34(), ReplayConfig(seed=1, electorates=1))
    page = render_report(replay, rehearsal)
    assert "Live-night rehearsal (simulated votes)" in page
    assert rehearsal.verification.root in page
    assert "tallies match" in page
    assert "cap_exceeded" in page
    assert "ballots/s" in page
    assert "precision" in page
    assert "http://" not in page
    assert "https://" not in page
    start = page.index('id="ballroom-summary">') + len('id="ballroom-summary">')
    embedded = json.loads(page[start : page.index("</script>", start)])
    assert embedded["rehearsal"]["verification"]["root"] == rehearsal.verification.root
    assert "Live-night rehearsal" not in render_report(replay)


@pytest.mark.postgres
def test_the_rehearsal_runs_on_postgresql_too(postgres_url: str) -> None:
    rehearsal = rehearse(
        bundled_season34(), replace(SMALL, voters=300, draws=0), db_url=postgres_url
    )
    assert rehearsal.ok, rehearsal.problems
    on_sqlite = rehearse(bundled_season34(), replace(SMALL, voters=300, draws=0))
    # The same night on either store: the same log, chain and result.
    assert rehearsal.summary() == on_sqlite.summary()
