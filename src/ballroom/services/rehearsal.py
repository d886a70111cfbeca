"""Rehearse one live night end to end on a real vote store, with a simulated electorate.

Disney Night (Season 34, week 4) is played through the components a live night uses:

1. a synthetic electorate (``ballroom.integrity.electorate``): organic fans, a duplicate-account
   farm or more, a bot burst and an all-but-one campaign against Hilaria, with ground truth;
   on top, what the store itself must refuse: each farm's owner texting past the cap of 10
   per couple, and a few West Coast viewers voting after the window closed;
2. ingestion through ``ballroom import``'s own path (``services.importing.import_file``):
   every ballot passes the live caps, window check and hash chain of a fresh store;
3. the night's results from the store's tallies and the week's judges' scores (real where
   known, otherwise simulated by the replay's score model), under the season's rule set;
4. ``ballroom export`` and ``ballroom verify`` on the night;
5. the integrity analysis of the exported log, scored against the ground truth.

Every vote is simulated and labelled so. The same seed gives the same summary (timings are
kept apart from it, in :class:`IngestFigures`).
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.adapters.interchange import write_vote_arrow
from ballroom.bootstrap import open_store, stored_log, vote_log, voting_service
from ballroom.domain.night import Night, NightResult
from ballroom.domain.rules import compute
from ballroom.domain.season import Season, Week
from ballroom.domain.weeks import known_points, night_for_week, sheet_from_grid
from ballroom.errors import Conflict, InvalidInput, VerificationFailed
from ballroom.integrity.analysis import Report, analyze_file
from ballroom.integrity.electorate import (
    DISNEY_NIGHT,
    SHOW_START,
    Campaign,
    Electorate,
    GroundTruth,
    Scenario,
    generate,
)
from ballroom.services.exports import export_window
from ballroom.services.importing import ImportSummary, import_file, summarize
from ballroom.services.ports import FixedClock, ProcessIds
from ballroom.services.simulated_night import ScoreModel, fit_skills, simulate_scores, week_layout
from ballroom.services.verification import verify_export
from ballroom.services.voting import ImportOutcome

REHEARSAL_WEEK = 4  # Disney Night: the night of the "all but us" complaint
DEFAULT_VOTERS = 10_000
MIN_VOTERS = 200
MAX_VOTERS = 2_000_000
SHOW_SECONDS = 7200
SIMULATED_LABEL = "simulated"

Step = Callable[[str], None]


@dataclass(frozen=True)
class RehearsalConfig:
    """How big a night to rehearse and what abuse to plant; the seed fixes every draw."""

    seed: int = 34
    voters: int = DEFAULT_VOTERS
    farms: int = 3
    bots: int = 1
    campaign_target: str = "hilaria"
    campaign_share: float = 0.03
    late_ballots: int = 5
    """Web ballots cast after the window closed (West Coast replay viewers): refused."""
    draws: int = 200
    """Bootstrap draws of the counterfactual (how often the elimination holds)."""

    def check(self) -> None:
        """Raise a specific error for a rehearsal that cannot run."""
        if not MIN_VOTERS <= self.voters <= MAX_VOTERS:
            raise InvalidInput(
                f"rehearsal voters must be from {MIN_VOTERS:,} to {MAX_VOTERS:,}, "
                f"not {self.voters:,}",
                field="rehearsal_voters",
            )
        if self.seed < 0:
            raise InvalidInput("seed must be a whole number >= 0", field="seed")
        for name in ("farms", "bots", "late_ballots", "draws"):
            if getattr(self, name) < 0:
                raise InvalidInput(f"{name} must be 0 or more", field=name)
        if not 0.0 < self.campaign_share < 1.0:
            raise InvalidInput("campaign_share must be between 0 and 1", field="campaign_share")

    def scenario(self, window: str) -> Scenario:
        """The generator's scenario for this rehearsal."""
        return Scenario(
            voters=self.voters,
            couples=DISNEY_NIGHT,
            window=window,
            start=SHOW_START,
            duration_s=SHOW_SECONDS,
            farms=self.farms,
            bots=self.bots,
            campaigns=(Campaign(self.campaign_target, self.campaign_share),),
            seed=self.seed,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "voters": self.voters,
            "farms": self.farms,
            "bots": self.bots,
            "campaign": {"target": self.campaign_target, "share": self.campaign_share},
            "late_ballots": self.late_ballots,
            "draws": self.draws,
        }


@dataclass(frozen=True)
class Planted:
    """Rule breaking the store itself must refuse, added on top of the generated night."""

    over_cap_texts: int
    """Texts past the cap of 10 per couple (each farm's owner, from one phone)."""
    late_ballots: int
    """Ballots dated after the window closed."""
    texters: tuple[str, ...]
    farm_aims: tuple[str, ...] = ()
    """Per generated farm: "for X" or "all but X" (a farm recruited into a campaign)."""


@dataclass(frozen=True)
class IngestFigures:
    """What the import did, and how fast (the only figures that vary from run to run)."""

    rows: int
    """Interchange rows in the simulated file (one per couple of a ballot, one per text)."""
    summary: ImportSummary
    seconds: float
    votes: int
    """Votes counted in the store's tallies after the import."""

    @property
    def ballots_per_s(self) -> float:
        return self.summary.ballots / self.seconds if self.seconds > 0 else 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Verification:
    """``ballroom verify`` on the export, and how it compares with the store."""

    ok: bool
    root: str
    entries: int
    message: str
    tallies_match: bool
    """The export's recount equals the store's live tallies, couple by couple."""
    receipts_match: bool
    """Every acknowledged ballot's receipt is in the published receipts, and nothing else."""


@dataclass(frozen=True)
class IntegritySummary:
    """The integrity analysis of the exported night, scored against the ground truth."""

    voters: int
    ballots: int
    flagged: int
    abusive: int
    true_positives: int
    tactical: int
    tactical_flagged: int
    groups: tuple[dict[str, Any], ...]
    """Each planted farm and bot: kind, style, couple, accounts, how many flagged."""
    campaigns_found: tuple[dict[str, Any], ...]
    campaigns_planted: tuple[dict[str, Any], ...]
    counterfactual: dict[str, Any] | None

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.abusive if self.abusive else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "voters": self.voters,
            "ballots": self.ballots,
            "flagged_voters": self.flagged,
            "abusive_accounts": self.abusive,
            "true_positives": self.true_positives,
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "tactical_voters": self.tactical,
            "tactical_flagged": self.tactical_flagged,
            "planted_groups": list(self.groups),
            "campaigns_found": list(self.campaigns_found),
            "campaigns_planted": list(self.campaigns_planted),
            "counterfactual": self.counterfactual,
        }


@dataclass(frozen=True)
class Rehearsal:
    """One rehearsed night: ingest, tallies, results, verification and integrity."""

    config: RehearsalConfig
    season_id: str
    week: int
    theme: str
    window: str
    names: Mapping[str, str]
    """Couple id -> "Celebrity & Professional"."""
    planted: Planted
    ingest: IngestFigures
    tallies: Mapping[str, Mapping[str, int]]
    """Couple -> {"web", "sms", "total"} from the store's live tallies."""
    night: Night
    points_known: Mapping[str, bool]
    result: NightResult
    real_eliminated: tuple[str, ...]
    real_bottom: tuple[str, ...]
    verification: Verification
    integrity: IntegritySummary
    folder: Path | None
    """Where the export and the JSON files were written (None: a temporary folder, gone)."""
    db_url: str | None
    """The store kept with ``--db`` (None: a temporary SQLite file, gone)."""

    @property
    def problems(self) -> list[str]:
        """What failed among the checks that must hold (empty: all is well)."""
        checks = self.verification
        problems = [] if checks.ok else [f"verify: {checks.message}"]
        if checks.ok and not checks.tallies_match:
            problems.append("the export's recount differs from the store's live tallies")
        if checks.ok and not checks.receipts_match:
            problems.append("the published receipts differ from those the store acknowledged")
        return problems

    @property
    def ok(self) -> bool:
        """The export verifies, its tallies are the store's, and its receipts are exactly
        the ones the store acknowledged."""
        return not self.problems

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary without timings: the same seed gives the same summary."""
        summary = self.ingest.summary
        return {
            "label": "simulated votes (synthetic electorate); judges' scores real where known",
            "season": self.season_id,
            "week": self.week,
            "theme": self.theme,
            "window": self.window,
            "config": self.config.as_dict(),
            "ingest": {
                "rows": self.ingest.rows,
                **summary.as_dict(),
                "votes_counted": self.ingest.votes,
                "planted": {
                    "over_cap_texts": self.planted.over_cap_texts,
                    "late_ballots": self.planted.late_ballots,
                },
            },
            "tallies": {c: dict(v) for c, v in sorted(self.tallies.items())},
            "request": night_request(self.night),
            "points_label": {
                c: "real" if known else SIMULATED_LABEL for c, known in self.points_known.items()
            },
            "result": self.result.as_dict(),
            "real": {"eliminated": list(self.real_eliminated), "bottom": list(self.real_bottom)},
            "verification": {
                "ok": self.verification.ok,
                "root": self.verification.root,
                "entries": self.verification.entries,
                "tallies_match": self.verification.tallies_match,
                "receipts_match": self.verification.receipts_match,
                "message": self.verification.message,
            },
            "integrity": self.integrity.as_dict(),
        }


# --------------------------------------------------------------------------- the rehearsal


def check_fresh_store(db_url: str, window: str = "s34w04") -> None:
    """Raise ``InvalidInput`` (field ``db``) if the store at ``db_url`` holds ``window``."""
    engine = open_store(db_url)
    try:
        held = window in vote_log(engine).load_windows()
    finally:
        engine.dispose()
    if held:
        raise _held(window)


def _held(window: str) -> InvalidInput:
    return InvalidInput(
        f"the database already holds window {window!r}: a rehearsal needs a fresh one "
        "(or none, for a temporary SQLite file)",
        field="db",
    )


def rehearse(
    season: Season,
    config: RehearsalConfig | None = None,
    *,
    folder: Path | None = None,
    db_url: str | None = None,
    step: Step | None = None,
) -> Rehearsal:
    """Rehearse Disney Night end to end (see the module docstring).

    ``folder`` receives the export (``export/``), the night's request (``night.json``), the
    integrity report (``integrity.json``), the ground truth (``truth.json``) and the summary
    (``rehearsal.json``); without one, a temporary folder is used and removed. ``db_url``
    keeps the store (it must not hold the night already); without one, a temporary SQLite
    file is used. ``step(text)`` is called as each stage starts.
    """
    config = config or RehearsalConfig()
    config.check()
    say = step or (lambda _text: None)
    week = season.week(REHEARSAL_WEEK)
    if set(week.couples) != set(DISNEY_NIGHT):
        raise InvalidInput(
            f"week {week.number} of {season.id} does not dance Disney Night's couples",
            field="season",
        )
    window = season.window_id(week)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ballroom-rehearsal-")))
        target = folder if folder is not None else work / "out"
        target.mkdir(parents=True, exist_ok=True)

        say("generating the simulated electorate")
        scenario = config.scenario(window)
        electorate = generate(scenario)
        table, planted = plant_refusals(electorate, scenario, config, cap=season.votes_per_couple)
        source = work / "simulated-votes.csv"
        rows = write_vote_arrow(source, table)
        electorate.truth.write(target / "truth.json")

        url = db_url or f"sqlite:///{work / 'rehearsal.db'}"
        engine = open_store(url)
        stack.callback(engine.dispose)
        close_at = scenario.start + timedelta(seconds=scenario.duration_s)
        clock = FixedClock(close_at + timedelta(hours=3))
        with voting_service(
            engine,
            clock,
            cap=season.votes_per_couple,
            group_commit_ms=0,
            ids=ProcessIds(f"rehearsal-{config.seed}"),
        ) as service:
            try:
                service.create_window(
                    window,
                    {c: season.couple(c).keyword for c in week.couples},
                    label=week.theme,
                    season=season.id,
                )
            except Conflict as error:
                raise _held(window) from error
            service.schedule_window(window, scenario.start, close_at)
            say(f"ingesting {rows:,} simulated rows into the vote store")
            started = time.perf_counter()
            outcomes = import_file(service, source)
            seconds = time.perf_counter() - started
            tally = service.tallies(window)
        imported = summarize(outcomes)
        totals = tally.totals()
        ingest = IngestFigures(
            rows=rows, summary=imported, seconds=seconds, votes=sum(totals.values())
        )

        say("computing the night's results")
        night, points_known = rehearsal_night(season, week, totals, seed=config.seed)
        result = compute(night)
        request = night_request(night)
        (target / "night.json").write_text(json.dumps(request, indent=2) + "\n", "utf-8")
        (target / "standings.json").write_text(
            json.dumps(result.as_dict(), indent=2) + "\n", "utf-8"
        )

        say("exporting and verifying the night")
        # The very functions behind `ballroom export` and `ballroom verify`.
        export = target / "export"
        export_window(stored_log(engine), window, export)
        verification = _verify(export, totals, outcomes)

        say("analysing the exported votes for abuse")
        report = analyze_file(
            export / "votes.csv", night, window=window, seed=config.seed, draws=config.draws
        )
        (target / "integrity.json").write_text(
            json.dumps(report.as_dict(), indent=1) + "\n", "utf-8"
        )
        integrity = score_integrity(report, electorate.truth, planted.farm_aims)

        rehearsal = Rehearsal(
            config=config,
            season_id=season.id,
            week=week.number,
            theme=week.theme,
            window=window,
            names={c.id: f"{c.celebrity} & {c.professional}" for c in season.couples},
            planted=planted,
            ingest=ingest,
            tallies={
                couple: {"web": count.web, "sms": count.sms, "total": count.total}
                for couple, count in tally.couples.items()
            },
            night=night,
            points_known=points_known,
            result=result,
            real_eliminated=tuple(week.eliminated),
            real_bottom=tuple(week.bottom),
            verification=verification,
            integrity=integrity,
            folder=folder,
            db_url=db_url,
        )
        (target / "rehearsal.json").write_text(
            json.dumps(rehearsal.summary(), indent=2, sort_keys=True) + "\n", "utf-8"
        )
    return rehearsal


def _verify(
    export: Path, totals: Mapping[str, int], outcomes: Sequence[ImportOutcome]
) -> Verification:
    try:
        checked = verify_export(export)
    except VerificationFailed as mismatch:
        return Verification(False, "", 0, str(mismatch), tallies_match=False, receipts_match=False)
    recount = checked["totals"]
    entries = checked["entries"]
    return Verification(
        ok=bool(checked["ok"]),
        root=str(checked["root"]),
        entries=entries if isinstance(entries, int) else 0,
        message="chain and tallies match the published root and results",
        tallies_match=isinstance(recount, dict) and dict(recount) == dict(totals),
        receipts_match=_receipts_published(outcomes, export / "receipts.csv"),
    )


def _receipts_published(outcomes: Sequence[ImportOutcome], path: Path) -> bool:
    """Every receipt the store acknowledged is in the published receipts, and nothing else."""
    given = {
        (str(o.receipt.seq), o.ballot_id, o.receipt.hash)
        for o in outcomes
        if o.status == "accepted" and o.receipt is not None
    }
    with path.open(encoding="utf-8", newline="") as handle:
        published = {(seq, ballot, digest) for seq, ballot, digest in list(csv.reader(handle))[1:]}
    return given == published


# --------------------------------------------------------------------------- planted refusals


def plant_refusals(
    electorate: Electorate, scenario: Scenario, config: RehearsalConfig, *, cap: int
) -> tuple[Any, Planted]:
    """The generated log plus what the store must refuse, in order of time.

    Each farm's owner also texts one of the farm's couples from a phone, ``cap`` texts and then
    1 to 5 more: the store takes the first ``cap`` and refuses the rest. A few organic voters
    save a web ballot after the window closed (a West Coast replay): refused too.
    """
    table = electorate.table
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 40404]))
    window_end_us = _us(scenario.start) + scenario.duration_s * 1_000_000
    added: list[dict[str, Any]] = []
    over_cap = 0
    texters: list[str] = []
    aims: list[str] = []

    def row(table: Any, index: int, **values: Any) -> dict[str, Any]:
        """A new row with the identity (e-mail, IP, device) of ``table``'s row ``index``."""
        identity = {n: str(table[n][index].as_py() or "") for n in ("email", "ip", "device")}
        return {"window": scenario.window, "phone": "", **identity, **values}

    for number, farm in enumerate(electorate.truth.farms, start=1):
        owner = str(farm["voters"][0])
        rows = table.filter(pc.equal(table["voter"], owner))
        voted = sorted(set(rows["couple"].to_pylist()))
        aims.append(f"all but {farm['couple']}" if len(voted) > 1 else f"for {farm['couple']}")
        if not voted:
            continue
        couple = voted[int(rng.integers(0, len(voted)))]
        extra = int(rng.integers(1, 6))
        phone = f"+1555{int(rng.integers(1_000_000, 9_999_999))}"
        ts_us = _us(rows["ts"][0].as_py())
        for text in range(cap + extra):
            ts_us = min(ts_us + int(rng.integers(2_000_000, 8_000_000)), window_end_us - 1)
            added.append(
                row(rows, 0, ballot_id=f"farm{number}-text{text + 1}", ts=ts_us, voter=owner,
                    channel="sms", couple=couple, votes=1, phone=phone)
            )  # fmt: skip
        over_cap += extra
        texters.append(owner)

    web = table.filter(pc.equal(table["channel"], "web"))
    late = 0
    chosen: set[str] = set()
    for index in rng.permutation(web.num_rows).tolist():
        if late >= config.late_ballots:
            break
        voter = str(web["voter"][index].as_py())
        if voter in electorate.truth.abusive or voter in electorate.truth.tactical:
            continue
        if voter in chosen:
            continue
        chosen.add(voter)
        late += 1
        ts_us = window_end_us + int(rng.integers(5 * 60, 3 * 3600)) * 1_000_000
        added.append(
            row(web, index, ballot_id=f"late{late}", ts=ts_us, voter=voter, channel="web",
                couple=str(web["couple"][index].as_py()), votes=10,
                phone=str(web["phone"][index].as_py() or ""))
        )  # fmt: skip

    extra_rows = pa.Table.from_pylist(added, schema=table.schema)
    combined = pa.concat_tables([table, extra_rows])
    # A stable sort: generated rows keep their order, each ballot's rows stay together.
    order = pc.sort_indices(combined, sort_keys=[("ts", "ascending")])
    planted = Planted(
        over_cap_texts=over_cap, late_ballots=late, texters=tuple(texters), farm_aims=tuple(aims)
    )
    return combined.take(order), planted


def _us(moment: datetime) -> int:
    return round(moment.timestamp() * 1_000_000)


# --------------------------------------------------------------------------- the night


def rehearsal_night(
    season: Season, week: Week, votes: Mapping[str, int], *, seed: int
) -> tuple[Night, dict[str, bool]]:
    """The week's ``Night`` with ``votes``: real judges' scores where known, else simulated.

    Unknown scores come from the replay's score model (``simulated_night``), fitted on every
    known score of the season and drawn from ``seed``; a known score is never replaced.
    Returns the night and, per couple, whether its judges' points are the real ones.
    """
    weeks = sorted(season.weeks, key=lambda w: w.number)
    layouts = {w.number: week_layout(w, w.couples) for w in weeks}
    model = ScoreModel()
    fit = fit_skills(list(layouts.values()), [c.id for c in season.couples], model)
    layout = layouts[week.number]
    rng = np.random.default_rng(np.random.SeedSequence([seed, week.number]))
    sheet = simulate_scores(layout, fit, model, rng)
    night = night_for_week(
        season,
        week,
        votes=votes,
        sheet=sheet_from_grid(layout.couples, layout.rounds, layout.judges, sheet.tolist()),
    )
    known = known_points(season, week)
    return night, {c: known.get(c) is not None for c in layout.couples}


def night_request(night: Night) -> dict[str, Any]:
    """The night as the self-contained request of docs/interfaces.md §1."""
    request: dict[str, Any] = {
        "rules": night.rules,
        "couples": list(night.couples),
        "judges": list(night.judges),
        "dances": [
            {
                "name": dance.name,
                "scores": {c: dict(by_judge) for c, by_judge in dance.scores.items()},
            }
            for dance in night.dances
        ],
        "votes": dict(night.votes),
        "eliminate": night.eliminate,
    }
    if night.absent_judges:
        request["absent_judges"] = list(night.absent_judges)
    if night.bonus:
        request["bonus"] = dict(night.bonus)
    if night.head_judge is not None:
        request["head_judge"] = night.head_judge
    if night.final:
        request["final"] = True
    return request


# --------------------------------------------------------------------------- integrity


def score_integrity(
    report: Report, truth: GroundTruth, farm_aims: Sequence[str] = ()
) -> IntegritySummary:
    """What the analysis found, next to what the generator planted."""
    flagged = set(report.flagged_voters)
    abusive = set(truth.abusive)
    tactical = truth.tactical
    groups: list[dict[str, Any]] = [
        {
            "kind": "farm",
            "style": farm["style"],
            "aim": farm_aims[i] if i < len(farm_aims) else f"for {farm['couple']}",
            "accounts": len(farm["voters"]),
            "flagged": len(flagged & set(farm["voters"])),
        }
        for i, farm in enumerate(truth.farms)
    ]
    groups.extend(
        {
            "kind": "bot",
            "style": f"every {bot['period_s']:g} s",
            "aim": f"for {bot['couple']}",
            "accounts": len(bot["voters"]),
            "flagged": len(flagged & set(bot["voters"])),
        }
        for bot in truth.bots
    )
    return IntegritySummary(
        voters=report.voters,
        ballots=report.ballots,
        flagged=len(flagged),
        abusive=len(abusive),
        true_positives=len(flagged & abusive),
        tactical=len(tactical),
        tactical_flagged=len(flagged & tactical),
        groups=tuple(groups),
        campaigns_found=tuple(
            {"target": c.target, "voters": c.voters, "votes": c.votes}
            for c in report.findings.campaigns
        ),
        campaigns_planted=tuple(
            {"target": c["target"], "voters": len(c["voters"])} for c in truth.campaigns
        ),
        counterfactual=_counterfactual(report.counterfactual),
    )


def _counterfactual(body: dict[str, Any] | None) -> dict[str, Any] | None:
    """The counterfactual's headline fields (the per-couple vote tables stay in the report)."""
    if body is None:
        return None
    keep: Sequence[str] = (
        "eliminated",
        "eliminated_without_flagged",
        "margin",
        "margin_without_flagged",
        "changes",
        "flagged_votes",
        "campaigns",
        "bootstrap",
    )
    return {name: body[name] for name in keep if name in body}


__all__ = [
    "DEFAULT_VOTERS",
    "REHEARSAL_WEEK",
    "IngestFigures",
    "IntegritySummary",
    "Planted",
    "Rehearsal",
    "RehearsalConfig",
    "Verification",
    "check_fresh_store",
    "night_request",
    "plant_refusals",
    "rehearsal_night",
    "rehearse",
    "score_integrity",
]
