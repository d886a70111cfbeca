"""The control room and the judges' desk: nights, windows, keyed scores, locks and results.

Producers prepare a night (which creates its voting window with the couples dancing and
their SMS keywords), open, close or schedule the window, lock the scores, compute the
results through the season's rule set from the keyed scores and the window's tallies, and
reveal them. Votes of voters the producers voided after an integrity review (the
``VoteExclusions`` port, see ``ballroom.services.integrity_review``) are left out of the
results, and the results say so; the log itself never changes. Judges key only their own
scores, for the performances of the current night, until the lock; a change is a correction
with a reason. The score sheet's rules are those of ``ballroom.domain.scoring.ScoreSheet``,
rebuilt from the stored rows for every action. Every producer and judge action lands in the
audit log, in the same transaction as its effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import audit_log, keyed_scores, nights
from ballroom.domain.locking import check_lock
from ballroom.domain.night import Night
from ballroom.domain.rules import compute
from ballroom.domain.scoring import ScoreSheet, require_complete
from ballroom.domain.season import Season, Week
from ballroom.domain.weeks import night_for_week
from ballroom.errors import Conflict, Forbidden, NotFound, WrongType
from ballroom.services.accounts import Principal, Role, require_role
from ballroom.services.ports import Clock
from ballroom.services.voting import VotingService


@dataclass(frozen=True)
class Excluded:
    """Voters whose votes leave a window's results, and the votes they had counted there."""

    voters: tuple[str, ...] = ()
    votes: Mapping[str, int] = field(default_factory=dict)


class VoteExclusions(Protocol):
    """Which votes the producers decided to leave out of a window's results."""

    def excluded(self, window: str) -> Excluded: ...


class NoExclusions:
    """Every counted vote stays (no integrity decisions wired)."""

    def excluded(self, window: str) -> Excluded:
        return Excluded()


@dataclass(frozen=True)
class NightInfo:
    """A week of the season as the control room and the pages show it."""

    window: str
    week: Week
    prepared: bool
    current: bool
    locked: bool
    computed: bool
    revealed: bool

    def as_dict(self, season: Season) -> dict[str, Any]:
        week = self.week
        performances = [
            {"couple": p.couple, "round": p.round, "style": p.style, "song": p.song}
            for p in week.performances
        ]
        return {
            "window": self.window,
            "week": week.number,
            "date": week.date.isoformat() if week.date else None,
            "theme": week.theme,
            "eliminate": week.eliminate,
            "judges": [{"id": j, "name": season.judge(j).name} for j in week.judges],
            "rounds": list(week.rounds),
            "couples": [
                {
                    "id": c,
                    "celebrity": season.couple(c).celebrity,
                    "professional": season.couple(c).professional,
                    "keyword": season.couple(c).keyword,
                }
                for c in week.couples
            ],
            "performances": performances,
            "bonus": dict(week.bonus),
            "prepared": self.prepared,
            "current": self.current,
            "locked": self.locked,
            "computed": self.computed,
            "revealed": self.revealed,
        }


class ControlService:
    """Producer and judge actions on the nights of one season."""

    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        voting: VotingService,
        season: Season,
        exclusions: VoteExclusions | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._voting = voting
        self._exclusions = exclusions if exclusions is not None else NoExclusions()
        self.season = season
        self._weeks = {season.window_id(week): week for week in season.weeks}

    # -- nights ---------------------------------------------------------------------------

    def nights(self) -> list[NightInfo]:
        """Every week of the season with where its night stands."""
        with self._engine.connect() as connection:
            rows = {row.window: row for row in connection.execute(sa.select(nights)).all()}
        return [self._info(window, week, rows.get(window)) for window, week in self._weeks.items()]

    def night(self, window: str) -> NightInfo:
        """One night by its window id; ``NotFound`` if the season has no such week."""
        week = self._week(window)
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(nights).where(nights.c.window == window)).first()
        return self._info(window, week, row)

    def current_night(self) -> NightInfo:
        """Tonight: the night the producers made current; ``NotFound`` before that."""
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(nights).where(nights.c.current)).first()
        if row is None:
            raise NotFound("no night is current yet; a producer prepares one", field="window")
        return self._info(row.window, self._week(row.window), row)

    def prepare_night(self, actor: Principal, window: str) -> NightInfo:
        """Make ``window``'s week tonight's night, creating its voting window if needed."""
        require_role(actor, Role.PRODUCER)
        week = self._week(window)
        keywords = {c: self.season.couple(c).keyword for c in week.couples}
        try:
            self._voting.window_status(window)
        except NotFound:
            # The voting window first, outside this transaction: it has its own writer.
            self._voting.create_window(
                window,
                keywords,
                label=f"Week {week.number}: {week.theme}",
                season=self.season.id,
            )
        with self._engine.begin() as connection:
            exists = connection.execute(
                sa.select(nights.c.window).where(nights.c.window == window)
            ).first()
            if exists is None:
                connection.execute(
                    nights.insert().values(window=window, season=self.season.id, week=week.number)
                )
            connection.execute(nights.update().where(nights.c.current).values(current=False))
            connection.execute(
                nights.update().where(nights.c.window == window).values(current=True)
            )
            self._audit(connection, actor, "prepare_night", window, {"week": week.number})
        return self.night(window)

    # -- windows --------------------------------------------------------------------------

    def open_window(self, actor: Principal, window: str) -> Any:
        """Open voting now (the server's clock)."""
        return self._window_action(
            actor,
            window,
            "open_window",
            {},
            lambda audit: self._voting.open_window(window, also=audit),
        )

    def close_window(self, actor: Principal, window: str) -> Any:
        """Close voting now."""
        return self._window_action(
            actor,
            window,
            "close_window",
            {},
            lambda audit: self._voting.close_window(window, also=audit),
        )

    def schedule_window(
        self, actor: Principal, window: str, opens_at: datetime, closes_at: datetime
    ) -> Any:
        """Open at ``opens_at`` and close at ``closes_at`` by the server's clock."""
        for name, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise WrongType(f"{name} must carry a time zone offset", field=name)
        detail = {"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()}
        return self._window_action(
            actor,
            window,
            "schedule_window",
            detail,
            lambda audit: self._voting.schedule_window(window, opens_at, closes_at, also=audit),
        )

    def _window_action(
        self,
        actor: Principal,
        window: str,
        action: str,
        detail: dict[str, Any],
        run: Callable[[Callable[[sa.Connection], None]], Any],
    ) -> Any:
        """``run`` makes the change, writing the audit entry in the change's own transaction:
        an action that fails has changed nothing and audited nothing."""
        require_role(actor, Role.PRODUCER)
        self._prepared(window)
        return run(lambda connection: self._audit(connection, actor, action, window, detail))

    # -- scores ---------------------------------------------------------------------------

    def key_score(
        self,
        actor: Principal,
        window: str,
        couple: Any,
        round_name: Any,
        score: Any,
        *,
        reason: Any = None,
    ) -> dict[str, Any]:
        """A judge keys (or, with a reason, corrects) their own score for tonight."""
        require_role(actor, Role.JUDGE)
        if actor.judge is None:
            raise Forbidden("this account is not linked to a judge of the panel")
        week = self._week(window)
        if not isinstance(couple, str):
            raise WrongType("couple must be a couple id", field="couple")
        if round_name is None:
            round_name = week.rounds[0]
        if not isinstance(round_name, str):
            raise WrongType("round must be the name of one of tonight's rounds", field="round")
        if reason is not None and not isinstance(reason, str):
            raise WrongType("reason must be text", field="reason")
        now = self._clock.now()
        with self._engine.begin() as connection:
            night = self._lock_row(connection, window)
            if not night.current:
                raise Forbidden(
                    f"{window} is not tonight's night; only tonight is scored", field="window"
                )
            sheet = self._sheet(connection, window, week, night.locked_at)
            if actor.judge not in sheet.judges:
                raise Forbidden(
                    f"judge {actor.judge!r} is not on the panel of {window}", field="judge"
                )
            if reason is None:
                value = sheet.key(actor.judge, couple, round_name, score, now)
                connection.execute(
                    keyed_scores.insert().values(
                        window=window,
                        couple=couple,
                        dance=round_name,
                        judge=actor.judge,
                        score=value,
                        keyed_at=now.timestamp(),
                    )
                )
                detail: dict[str, Any] = {"couple": couple, "round": round_name, "score": value}
                action = "key_score"
            else:
                entry = sheet.correct(
                    actor.judge, couple, round_name, score, now, reason, by=actor.name
                )
                value = entry.new
                connection.execute(
                    keyed_scores.update()
                    .where(keyed_scores.c.window == window)
                    .where(keyed_scores.c.couple == couple)
                    .where(keyed_scores.c.dance == round_name)
                    .where(keyed_scores.c.judge == actor.judge)
                    .values(score=value, corrections=keyed_scores.c.corrections + 1)
                )
                detail = {
                    "couple": couple,
                    "round": round_name,
                    "old": entry.old,
                    "new": entry.new,
                    "reason": entry.reason,
                }
                action = "correct_score"
            self._audit(connection, actor, action, window, detail)
        return {
            "window": window,
            "judge": actor.judge,
            "couple": couple,
            "round": round_name,
            "score": value,
            "corrected": reason is not None,
        }

    def scores(self, actor: Principal, window: str) -> dict[str, Any]:
        """The night's keyed scores, totals and what is still missing (producers, judges)."""
        if actor.role not in (Role.PRODUCER, Role.JUDGE):
            raise Forbidden("only producers and judges see the score sheet")
        week = self._week(window)
        with self._engine.connect() as connection:
            row = self._prepared_row(connection, window)
            sheet = self._sheet(connection, window, week, row.locked_at)
        return {
            "window": window,
            "locked": sheet.is_locked,
            "scores": [
                {"judge": j, "couple": c, "round": r, "score": sheet.score(j, c, r)}
                for r in sheet.rounds
                for c in sheet.couples
                for j in sheet.judges
                if sheet.score(j, c, r) is not None
            ],
            "totals": sheet.totals(),
            "missing": [{"judge": j, "couple": c, "round": r} for j, c, r in sheet.missing()],
        }

    def lock_scores(
        self,
        actor: Principal,
        window: str,
        absences: Sequence[tuple[object, object]] = (),
    ) -> dict[str, Any]:
        """Make the night's keyed scores final: every score keyed, or each missing one from a
        judge in ``absences`` (judge, reason), which are kept and audited (``check_lock``)."""
        require_role(actor, Role.PRODUCER)
        week = self._week(window)
        now = self._clock.now()
        with self._engine.begin() as connection:
            night = self._lock_row(connection, window)
            sheet = self._sheet(connection, window, week, night.locked_at)
            sheet.lock(now)
            absent = check_lock(sheet, absences)
            connection.execute(
                nights.update()
                .where(nights.c.window == window)
                .values(
                    locked_at=now.timestamp(),
                    absent_judges=json.dumps(absent, sort_keys=True) if absent else None,
                )
            )
            missing = len(sheet.missing())
            detail: dict[str, Any] = {"missing": missing}
            if absent:
                detail["absent"] = absent
            self._audit(connection, actor, "lock_scores", window, detail)
        return {
            "window": window,
            "locked": True,
            "locked_at": now.isoformat(),
            "missing": missing,
            "absent": [{"judge": j, "reason": r} for j, r in absent.items()],
        }

    # -- results --------------------------------------------------------------------------

    def compute_results(self, actor: Principal, window: str) -> dict[str, Any]:
        """Rank the night by the season's rule set; needs a closed window and locked scores."""
        require_role(actor, Role.PRODUCER)
        week = self._week(window)
        if self._voting.window_status(window).is_open:
            raise Conflict("close the voting window before computing the results", field="window")
        # Read before the night's row is locked: it reads the decisions and the log elsewhere.
        excluded = self._exclusions.excluded(window)
        with self._engine.begin() as connection:
            row = self._lock_row(connection, window)
            if row.locked_at is None:
                raise Conflict("lock the scores before computing the results", field="window")
            # As strict as `ballroom results`: a missing score is never counted as zero.
            sheet = self._sheet(connection, window, week, row.locked_at)
            require_complete(sheet, absent_judges=self._absent_judges(window))
            night = self._night_of(connection, window, week, row.locked_at, excluded)
            result = compute(night).as_dict()
            result["window"] = window
            result["week"] = week.number
            result["theme"] = week.theme
            if excluded.voters:
                # Never silently: the results name how many voters and votes were voided.
                result["voided"] = {
                    "voters": len(excluded.voters),
                    "votes": {c: v for c, v in sorted(excluded.votes.items()) if v},
                }
            connection.execute(
                nights.update()
                .where(nights.c.window == window)
                .values(
                    result=json.dumps(result),
                    computed_at=self._clock.now().timestamp(),
                    revealed_at=None,
                )
            )
            self._audit(
                connection,
                actor,
                "compute_results",
                window,
                {
                    "eliminated": result.get("eliminated", []),
                    "voided_voters": len(excluded.voters),
                },
            )
        return result

    def _absent_judges(self, window: str) -> tuple[str, ...]:
        """Judges of the night's panel declared absent, with a reason, when the scores were
        locked (``lock_scores``)."""
        with self._engine.connect() as connection:
            stored = connection.execute(
                sa.select(nights.c.absent_judges).where(nights.c.window == window)
            ).scalar()
        return tuple(sorted(json.loads(stored))) if stored else ()

    def night_request(self, window: str) -> Night:
        """The night as it stands now: keyed scores (locked or not), counted votes, carry-over.

        What an integrity review measures its counterfactual against; ``NotFound`` for a
        window that is not a week of the season.
        """
        week = self._week(window)
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(nights).where(nights.c.window == window)).first()
            locked_at = row.locked_at if row is not None else None
            return self._night_of(
                connection, window, week, locked_at, self._exclusions.excluded(window)
            )

    def reveal_results(self, actor: Principal, window: str) -> dict[str, Any]:
        """Publish the computed results (the public results page shows them from now on)."""
        require_role(actor, Role.PRODUCER)
        with self._engine.begin() as connection:
            row = self._lock_row(connection, window)
            if row.result is None:
                raise Conflict("compute the results before revealing them", field="window")
            connection.execute(
                nights.update()
                .where(nights.c.window == window)
                .values(revealed_at=self._clock.now().timestamp())
            )
            self._audit(connection, actor, "reveal_results", window, {})
        result: dict[str, Any] = json.loads(row.result)
        return result

    def results(self, actor: Principal | None, window: str) -> dict[str, Any]:
        """The night's results: public once revealed, to producers as soon as computed."""
        self._week(window)
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(nights).where(nights.c.window == window)).first()
        producer = actor is not None and actor.role is Role.PRODUCER
        if row is None or row.result is None or (row.revealed_at is None and not producer):
            raise NotFound(f"the results of {window} have not been revealed", field="window")
        result: dict[str, Any] = json.loads(row.result)
        result["revealed"] = row.revealed_at is not None
        return result

    def published(self, window: str) -> bool:
        """Whether the night's results are revealed: from then on its vote log is public."""
        with self._engine.connect() as connection:
            revealed = connection.execute(
                sa.select(nights.c.revealed_at).where(nights.c.window == window)
            ).scalar()
        return revealed is not None

    def audit(self, actor: Principal, *, limit: int = 100) -> list[dict[str, Any]]:
        """The newest audit entries first (producers only)."""
        require_role(actor, Role.PRODUCER)
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
            ).all()
        return [
            {
                "id": r.id,
                "at": datetime.fromtimestamp(r.at, UTC).isoformat(),
                "actor": r.actor,
                "role": r.role,
                "action": r.action,
                "target": r.target,
                "detail": json.loads(r.detail),
            }
            for r in rows
        ]

    # -- internals ------------------------------------------------------------------------

    def _week(self, window: str) -> Week:
        week = self._weeks.get(window)
        if week is None:
            raise NotFound(f"season {self.season.id} has no night {window!r}", field="window")
        return week

    def _info(self, window: str, week: Week, row: Any) -> NightInfo:
        return NightInfo(
            window=window,
            week=week,
            prepared=row is not None,
            current=bool(row is not None and row.current),
            locked=row is not None and row.locked_at is not None,
            computed=row is not None and row.result is not None,
            revealed=row is not None and row.revealed_at is not None,
        )

    def _prepared(self, window: str) -> None:
        self._week(window)
        with self._engine.connect() as connection:
            self._prepared_row(connection, window)

    def _prepared_row(self, connection: sa.Connection, window: str) -> Any:
        row = connection.execute(sa.select(nights).where(nights.c.window == window)).first()
        if row is None:
            raise NotFound(
                f"{window} has not been prepared; a producer prepares it first", field="window"
            )
        return row

    def _lock_row(self, connection: sa.Connection, window: str) -> Any:
        """The night's row, locked for this transaction so a key and a lock never interleave."""
        query = sa.select(nights).where(nights.c.window == window)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        else:
            # SQLite: a write takes the database lock now instead of at the first insert.
            connection.execute(
                nights.update().where(nights.c.window == window).values(week=nights.c.week)
            )
        row = connection.execute(query).first()
        if row is None:
            raise NotFound(
                f"{window} has not been prepared; a producer prepares it first", field="window"
            )
        return row

    def _sheet(
        self, connection: sa.Connection, window: str, week: Week, locked_at: float | None
    ) -> ScoreSheet:
        sheet = ScoreSheet.for_week(self.season, week)
        rows = connection.execute(
            sa.select(keyed_scores)
            .where(keyed_scores.c.window == window)
            .order_by(keyed_scores.c.keyed_at)
        ).all()
        for row in rows:
            sheet.key(
                row.judge,
                row.couple,
                row.dance,
                row.score,
                datetime.fromtimestamp(row.keyed_at, UTC),
            )
        if locked_at is not None:
            last = max((row.keyed_at for row in rows), default=locked_at)
            sheet.lock(datetime.fromtimestamp(max(locked_at, last), UTC))
        return sheet

    def _counted(self, window: str, excluded: Excluded | None = None) -> dict[str, int]:
        """The window's tallies less the votes of voided voters."""
        excluded = excluded if excluded is not None else self._exclusions.excluded(window)
        totals = self._voting.tallies(window).totals()
        return {c: max(0, v - excluded.votes.get(c, 0)) for c, v in totals.items()}

    def _night_of(
        self,
        connection: sa.Connection,
        window: str,
        week: Week,
        locked_at: float | None,
        excluded: Excluded,
    ) -> Night:
        sheet = self._sheet(connection, window, week, locked_at)
        try:
            votes = self._counted(window, excluded)
        except NotFound:
            votes = {}  # a week whose voting window was never created has no votes yet
        carried_scores: dict[str, float] = {}
        carried_votes: dict[str, int] = {}
        previous = self._previous(week)
        if previous is not None and previous.carry_over:
            before = self.season.window_id(previous)
            prior = connection.execute(sa.select(nights).where(nights.c.window == before)).first()
            if prior is not None:
                old = self._sheet(connection, before, previous, prior.locked_at)
                carried_scores = {
                    c: p + previous.bonus.get(c, 0.0)
                    for c, p in old.totals().items()
                    if c in week.couples
                }
                carried_votes = {
                    c: v for c, v in self._counted(before).items() if c in week.couples
                }
        return night_for_week(
            self.season,
            week,
            # A window made before its night was prepared may count other couples: not tonight's.
            votes={c: v for c, v in votes.items() if c in week.couples},
            sheet={dance.name: dance.scores for dance in sheet.dances()},
            carried_scores=carried_scores,
            carried_votes=carried_votes,
        )

    def _previous(self, week: Week) -> Week | None:
        earlier = [w for w in self.season.weeks if w.number == week.number - 1]
        return earlier[0] if earlier else None

    def _audit(
        self,
        connection: sa.Connection,
        actor: Principal,
        action: str,
        target: str,
        detail: Mapping[str, Any],
    ) -> None:
        connection.execute(
            audit_log.insert().values(
                at=self._clock.now().timestamp(),
                actor=actor.name,
                role=actor.role.value,
                action=action,
                target=target,
                detail=json.dumps(dict(detail), sort_keys=True),
            )
        )
