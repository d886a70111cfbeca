"""The control room's integrity review: analyse a window's stored log live, and audit decisions.

``IntegrityReview.review`` reads the window's log from the store in columns (the rows ``ballroom
export`` writes, through ``ballroom.services.log_rows``: a window of millions of ballots is
streamed in chunks, never held as Python objects), runs ``ballroom.integrity.analysis.analyze``
with the night as the control room holds it (keyed scores, counted votes, carry-over) so the
counterfactual says whether the elimination would change without the flagged votes, and adds
each flagged voter's evidence, counted votes and the producers' decision on them (from just
their ballots, read back as log entries).

A producer decides per flagged voter: ``void`` (their votes leave the night's results) or
``clear`` (they stay), always with a reason. A decision is its own append-only record (the
latest per window and voter is in force) written with its audit entry in one transaction; the
vote log is never changed. ``VoidedVotes`` is the ``VoteExclusions`` port the control service
asks when it computes results: the voided voters' counted votes, recounted from the log by the
same rule as the live tally (the last saved web ballot plus every text).

Only flagged voters can be decided on: tactical voting by real, distinct voters is legal, so
campaign voters are reported and never removed. Published (revealed) results are final: no
decision is taken on their window afterwards.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import audit_log, nights
from ballroom.adapters.db.schema_integrity import integrity_decisions
from ballroom.adapters.interchange import Categorical
from ballroom.domain.night import Night
from ballroom.domain.voting import LogEntry, VoteMeta, recount
from ballroom.errors import BallroomError, Conflict, InvalidInput, MissingField, NotFound, WrongType
from ballroom.integrity.analysis import Report, analyze
from ballroom.services.accounts import Principal, Role, require_role
from ballroom.services.control import ControlService, Excluded
from ballroom.services.log_rows import (
    VoterSet,
    WindowColumns,
    WindowLog,
    read_window_ballots,
    read_window_columns,
    read_window_log,
)
from ballroom.services.ports import Clock, StoredLog
from ballroom.services.voting import VotingService

VOID = "void"
CLEAR = "clear"
ACTIONS = (VOID, CLEAR)
MAX_REASON = 2000
_CACHED = 4  # analyses kept (one per window and log version): a panel polls, votes arrive


@dataclass(frozen=True)
class Decision:
    """A producer's decision on one flagged voter of one window."""

    id: int
    window: str
    voter: str
    action: str
    reason: str
    actor: str
    at: datetime
    evidence: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "window": self.window,
            "voter": self.voter,
            "action": self.action,
            "reason": self.reason,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "evidence": list(self.evidence),
        }


def _decision(row: Any) -> Decision:
    return Decision(
        id=row.id,
        window=row.window,
        voter=row.voter,
        action=row.action,
        reason=row.reason,
        actor=row.actor,
        at=datetime.fromtimestamp(row.at, UTC),
        evidence=tuple(json.loads(row.evidence)),
    )


def decisions_of(connection: sa.Connection, window: str) -> list[Decision]:
    """Every decision on ``window``, oldest first."""
    rows = connection.execute(
        sa.select(integrity_decisions)
        .where(integrity_decisions.c.window == window)
        .order_by(integrity_decisions.c.id)
    ).all()
    return [_decision(row) for row in rows]


def in_force(decisions: list[Decision]) -> dict[str, Decision]:
    """The latest decision per voter (a later one replaces an earlier one)."""
    return {decision.voter: decision for decision in decisions}


class VoidedVotes:
    """The ``VoteExclusions`` port over the decisions table and the stored log."""

    def __init__(self, engine: sa.Engine, log: StoredLog) -> None:
        self._engine = engine
        self._log = log

    def voided(self, window: str) -> list[str]:
        """The voters whose decision in force on ``window`` is ``void``, sorted."""
        with self._engine.connect() as connection:
            current = in_force(decisions_of(connection, window))
        return sorted(voter for voter, d in current.items() if d.action == VOID)

    def excluded(self, window: str) -> Excluded:
        """The voided voters and the votes they have counted in ``window``."""
        voters = self.voided(window)
        if not voters:
            return Excluded()
        log = read_window_log(self._log, window, voters=voters)
        totals = recount(window, log.entries, log.couples).totals()
        return Excluded(voters=tuple(voters), votes={c: v for c, v in totals.items() if v})


@dataclass(frozen=True)
class _Analysis:
    """One analysis of a window at one log version, with what decisions need from it."""

    key: tuple[str, int, str]
    report: Report
    counterfactual_note: str | None
    voters: VoterSet
    flagged: Mapping[str, dict[str, Any]]  # voter -> reasons, evidence, identity, votes


class IntegrityReview:
    """Producers' integrity panel: live analysis of a window and audited decisions."""

    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        voting: VotingService,
        control: ControlService,
        exclusions: VoidedVotes,
        *,
        log: StoredLog,
        draws: int = 200,
        seed: int = 0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._voting = voting
        self._control = control
        self._exclusions = exclusions
        self._log = log
        self._draws = draws
        self._seed = seed
        self._cache: dict[str, _Analysis] = {}
        self._lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------

    def review(self, actor: Principal, window: str) -> dict[str, Any]:
        """The window's report (docs/interfaces.md §3 plus details) with the decisions."""
        require_role(actor, Role.PRODUCER)
        analysis = self._analysis(window)
        with self._engine.connect() as connection:
            decisions = decisions_of(connection, window)
            night = connection.execute(sa.select(nights).where(nights.c.window == window)).first()
        current = in_force(decisions)
        body = analysis.report.as_dict()
        body["window"] = window
        body["log_version"] = analysis.key[1]
        body["couples"] = list(analysis.report.couples)
        body["counterfactual_note"] = analysis.counterfactual_note
        # Strongest evidence first: the producer reads the surest cases before the borderline.
        body["flagged"] = [
            {**detail, "decision": d.as_dict() if (d := current.get(voter)) else None}
            for voter, detail in sorted(
                analysis.flagged.items(), key=lambda item: (-item[1]["strength"], item[0])
            )
        ]
        body["decisions"] = [d.as_dict() for d in reversed(decisions)]
        voided = sorted(v for v, d in current.items() if d.action == VOID)
        body["voided"] = voided
        stored = night.result if night is not None else None
        body["results"] = {
            "computed": stored is not None,
            "revealed": night is not None and night.revealed_at is not None,
            # The computed results left out other voters than those voided now: recompute.
            "stale": stored is not None
            and _applied(stored) != self._exclusions.excluded(window).votes,
        }
        return body

    def decisions(self, actor: Principal, window: str) -> list[Decision]:
        """Every decision on ``window``, newest first."""
        require_role(actor, Role.PRODUCER)
        self._voting.window_status(window)
        with self._engine.connect() as connection:
            return list(reversed(decisions_of(connection, window)))

    # -- deciding ---------------------------------------------------------------------------

    def decide(
        self, actor: Principal, window: str, voter: Any, action: Any, reason: Any
    ) -> Decision:
        """Record a producer's ``void`` or ``clear`` on a flagged voter, with the audit entry."""
        require_role(actor, Role.PRODUCER)
        self._voting.window_status(window)  # NotFound for an unknown window
        if not isinstance(action, str) or action not in ACTIONS:
            raise InvalidInput("action must be 'void' or 'clear'", field="action")
        if reason is None or (isinstance(reason, str) and not reason.strip()):
            raise MissingField("a decision needs a reason", field="reason")
        if not isinstance(reason, str):
            raise WrongType("reason must be text", field="reason")
        reason = reason.strip()
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"reason is longer than {MAX_REASON} characters", field="reason")
        if not isinstance(voter, str) or not voter.strip():
            raise WrongType("voter must be a voter id from the report", field="voter")
        with self._engine.connect() as connection:
            previous = in_force(decisions_of(connection, window)).get(voter)
        analysis = self._latest(window, voter)
        detail = analysis.flagged.get(voter)
        if voter not in analysis.voters:
            raise NotFound(f"voter {voter!r} has no ballot in {window}", field="voter")
        if detail is None and previous is None:
            raise Conflict(
                f"voter {voter!r} is not flagged: a real, distinct voter's votes are legal "
                "and are never removed (campaigns are reported, not voided)",
                field="voter",
            )
        evidence = (
            tuple(detail["evidence"])
            if detail is not None
            else previous.evidence
            if previous is not None
            else ()
        )
        if previous is not None and previous.action == action and previous.reason == reason:
            return previous  # a repeated click: the decision is already in force and audited
        now = self._clock.now().timestamp()
        with self._engine.begin() as connection:
            night = connection.execute(
                sa.select(nights.c.revealed_at).where(nights.c.window == window)
            ).first()
            if night is not None and night.revealed_at is not None:
                raise Conflict(
                    f"the results of {window} are published; its decisions are final",
                    field="window",
                )
            decision_id = connection.execute(
                integrity_decisions.insert()
                .values(
                    window=window,
                    voter=voter,
                    action=action,
                    reason=reason,
                    actor=actor.name,
                    at=now,
                    evidence=json.dumps(list(evidence)),
                )
                .returning(integrity_decisions.c.id)
            ).scalar_one()
            connection.execute(
                audit_log.insert().values(
                    at=now,
                    actor=actor.name,
                    role=actor.role.value,
                    action=f"integrity_{action}",
                    target=window,
                    detail=json.dumps(
                        {
                            "voter": voter,
                            "reason": reason,
                            "decision": decision_id,
                            "flags": detail["reasons"] if detail is not None else [],
                        },
                        sort_keys=True,
                    ),
                )
            )
        return Decision(
            id=int(decision_id),
            window=window,
            voter=voter,
            action=action,
            reason=reason,
            actor=actor.name,
            at=datetime.fromtimestamp(now, UTC),
            evidence=evidence,
        )

    # -- analysis ---------------------------------------------------------------------------

    def _latest(self, window: str, voter: str) -> _Analysis:
        """The analysis the producer saw, or a fresh one if it does not know ``voter`` yet."""
        with self._lock:
            cached = self._cache.get(window)
        if cached is not None and voter in cached.voters:
            return cached
        return self._analysis(window)

    def _analysis(self, window: str) -> _Analysis:
        version = self._voting.tallies(window).version  # NotFound for an unknown window
        night, note = self._night(window)
        key = (window, version, repr(night))
        with self._lock:
            cached = self._cache.get(window)
        if cached is not None and cached.key == key:
            return cached
        columns = read_window_columns(self._log, window)
        analysis = self._analyse(key, columns, night, note)
        with self._lock:
            self._cache.pop(window, None)
            self._cache[window] = analysis
            while len(self._cache) > _CACHED:
                self._cache.pop(next(iter(self._cache)))
        return analysis

    def _night(self, window: str) -> tuple[Night | None, str | None]:
        try:
            night = self._control.night_request(window)
        except NotFound:
            return None, f"{window} is not a night of the season: no elimination to measure"
        if night.rules == "skating":
            return None, "the skating rules have no public vote to measure"
        return night, None

    def _analyse(
        self,
        key: tuple[str, int, str],
        columns: WindowColumns,
        night: Night | None,
        note: str | None,
    ) -> _Analysis:
        table = columns.table
        if night is not None and set(columns.couples) - set(night.couples):
            night, note = None, "the log names couples that are not dancing tonight"
        try:
            report = analyze(table, night, window=None, seed=self._seed, draws=self._draws)
        except BallroomError as error:
            if night is None:
                raise
            # The rules cannot settle this night yet (an exact tie, say): report without it.
            report = analyze(table, None, window=None, seed=self._seed, draws=self._draws)
            note = f"the effect on the result cannot be measured yet: {error.message}"
        # Only the flagged voters' ballots are needed as entries: read back by their place in
        # the log (the same snapshot as the columns), not by voter (no index: a scan).
        flagged_log = read_window_ballots(
            self._log, columns.window, columns.seqs_of(report.flagged_voters)
        )
        return _Analysis(
            key=key,
            report=report,
            counterfactual_note=note,
            voters=columns.voters,
            flagged=_flagged_details(report, table.voter, flagged_log),
        )


def _applied(result: str) -> dict[str, int]:
    """The voided votes a stored result left out (none when it names none)."""
    voided = json.loads(result).get("voided") or {}
    return {str(c): int(v) for c, v in dict(voided.get("votes", {})).items()}


def _flagged_details(
    report: Report, voters: Categorical, log: WindowLog
) -> dict[str, dict[str, Any]]:
    """Per flagged voter: why, the clusters' evidence, their identity and their counted votes.

    ``voters`` is the analysed table's voter column; ``log`` holds at least every flagged
    voter's ballots (in order: the first gives the identity, the rest count as the tally does).
    """
    flagged = set(report.flagged_voters)
    if not flagged:
        return {}
    reasons: dict[str, list[str]] = {voter: [] for voter in flagged}
    for name, mask in report.findings.reasons.items():
        for voter in voters.labels_of(np.flatnonzero(mask)):
            if voter in reasons:
                reasons[voter].append(name)
    evidence: dict[str, list[str]] = {voter: [] for voter in flagged}
    clusters: dict[str, list[int]] = {voter: [] for voter in flagged}
    for number, cluster in enumerate(report.findings.clusters):
        if not cluster.flagged:
            continue
        for voter in cluster.voters:
            if voter in evidence:
                evidence[voter].append(f"{cluster.kind}: {cluster.evidence}")
                clusters[voter].append(number)
    by_voter: dict[str, list[LogEntry]] = {voter: [] for voter in flagged}
    identity: dict[str, VoteMeta] = {}
    for entry, meta in zip(log.entries, log.meta, strict=True):
        mine = by_voter.get(entry.voter)
        if mine is not None:
            mine.append(entry)
            identity.setdefault(entry.voter, meta)
    counted = {voter: recount(log.window, mine, log.couples) for voter, mine in by_voter.items()}
    strength = {entry["voter"]: entry for entry in report.flagged_evidence()}
    details: dict[str, dict[str, Any]] = {}
    for voter in flagged:
        first = identity.get(voter, VoteMeta())
        votes = {c: v for c, v in counted[voter].totals().items() if v}
        details[voter] = {
            "voter": voter,
            "reasons": reasons[voter],
            "evidence": evidence[voter],
            "clusters": clusters[voter],
            "email": first.email,
            "device": first.device,
            "ip": first.ip,
            "votes": sum(votes.values()),
            "allocation": votes,
            "strength": strength[voter]["strength"] if voter in strength else 0.0,
            "signals": strength[voter]["signals"] if voter in strength else {},
        }
    return details
