"""The ONE place that wires adapters into services.

``bootstrap(settings)`` builds the engine (and migrates it), the clock, the mailer, the SMS
gateway's signature check, and the accounts, voting, control and integrity-review services
over them, and returns them in an :class:`App` container. The HTTP app, the CLI and the
tests all start from here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from ballroom.adapters.db.engine import create_engine_for, upgrade
from ballroom.adapters.db.schema_accounts import server_secrets
from ballroom.adapters.mail import OutboxMailer
from ballroom.domain.season import Season
from ballroom.seasons import bundled_season34
from ballroom.services.accounts import AccountService
from ballroom.services.control import ControlService
from ballroom.services.integrity_review import IntegrityReview, VoidedVotes
from ballroom.services.ports import Clock, SystemClock
from ballroom.services.sms_gateway import SmsGatewayAuth
from ballroom.services.voting import VotingService
from ballroom.settings import Settings, load_settings


@dataclass
class App:
    """The wired services of one process."""

    settings: Settings
    engine: sa.Engine
    clock: Clock
    mailer: OutboxMailer
    accounts: AccountService
    voting: VotingService
    control: ControlService
    season: Season
    integrity: IntegrityReview
    sms_gateway: SmsGatewayAuth
    _started: bool = field(default=False, repr=False)

    def start(self) -> None:
        """Start the vote writer (rebuilds caps and tallies from the log)."""
        if not self._started:
            self.voting.start()
            self._started = True

    def stop(self) -> None:
        """Commit what is queued, stop the writer, release connections."""
        if self._started:
            self.voting.stop()
            self._started = False
        self.engine.dispose()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def store_reachable(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    season: Season | None = None,
    make_code: Callable[[], str] | None = None,
) -> App:
    """Wire everything for ``settings`` (from the environment when omitted); migrates the store.

    ``season`` defaults to the bundled Season 34. ``make_code`` (tests only) replaces the
    random one-time code generator with a callable returning the code to send.
    """
    settings = settings if settings is not None else load_settings()
    clock = clock if clock is not None else SystemClock()
    season = season if season is not None else bundled_season34()
    engine = create_engine_for(settings.db_url, pool_pre_ping=True)
    upgrade(engine)

    def now() -> float:
        return clock.now().timestamp()

    mailer = OutboxMailer(engine, now)
    sms_gateway = SmsGatewayAuth(
        settings.sms_gateway_secret or _stored_secret(engine, "sms_gateway_key"),
        now,
        tolerance_s=settings.sms_signature_tolerance_s,
    )
    accounts = AccountService(
        engine,
        now,
        mailer,
        secret_key=settings.secret_key or _stored_secret(engine, "session_key"),
        session_ttl_s=settings.session_ttl_s,
        code_ttl_s=settings.code_ttl_s,
        code_attempts=settings.code_attempts,
        codes_per_hour=settings.codes_per_hour,
        make_code=make_code,
    )
    voting = VotingService(
        engine,
        clock,
        cap=settings.cap,
        partitions=settings.partitions,
        batch_size=settings.batch_size,
        group_commit_ms=settings.group_commit_ms,
    )
    # Producers' void decisions leave those voters' votes out of the results the control
    # service computes; the review reads the night back from the control service.
    voided = VoidedVotes(engine)
    control = ControlService(engine, clock, voting, season, exclusions=voided)
    integrity = IntegrityReview(engine, clock, voting, control, voided)
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        mailer=mailer,
        accounts=accounts,
        voting=voting,
        control=control,
        season=season,
        integrity=integrity,
        sms_gateway=sms_gateway,
    )


def _stored_secret(engine: sa.Engine, name: str) -> str:
    """A server secret (``session_key``, ``sms_gateway_key``), made once and kept in the store
    so tokens and the aggregator's signatures outlive restarts."""
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
        ).first()
        if row is not None:
            return str(row.value)
    value = secrets.token_urlsafe(32)
    try:
        with engine.begin() as connection:
            connection.execute(server_secrets.insert().values(name=name, value=value))
    except sa.exc.IntegrityError:
        # Another process made it first: use theirs.
        return _stored_secret(engine, name)
    return value
