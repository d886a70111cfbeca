"""The ONE place that wires adapters into services.

``bootstrap(settings)`` builds the engine (and migrates it), the clock, the mail sender (the
development outbox or an SMTP relay, by ``mail_backend``), the SMS gateway's signature check,
and the accounts, voting, control and integrity-review services over them, and returns them
in an :class:`App` container. The HTTP app, the CLI and the tests all start from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from ballroom.adapters.db.engine import create_engine_for, upgrade
from ballroom.adapters.mail import OutboxMailer, SmtpMailer
from ballroom.adapters.secrets import SESSION_KEY, SMS_GATEWAY_KEY, rotate_secret, stored_secret
from ballroom.adapters.signed_callbacks import SignedCallbacks
from ballroom.adapters.stored_log_sql import SqlStoredLog
from ballroom.adapters.vote_pipeline import VoteLogWriter
from ballroom.adapters.vote_stores import vote_log_for
from ballroom.domain.season import Season
from ballroom.domain.voting import DEFAULT_CAP, us_from_datetime
from ballroom.errors import Conflict, WrongType
from ballroom.seasons import bundled_season34
from ballroom.services.accounts import AccountService, Mailer
from ballroom.services.control import ControlService
from ballroom.services.integrity_review import IntegrityReview, VoidedVotes
from ballroom.services.ports import (
    Clock,
    IdGenerator,
    ProcessIds,
    StoredLog,
    SystemClock,
    VoteLog,
)
from ballroom.services.sms_gateway import GatewaySecrets, SmsGatewayAuth
from ballroom.services.vote_rules import VoteRules
from ballroom.services.voting import VotingService
from ballroom.settings import Settings, load_settings


@dataclass
class App:
    """The wired services of one process."""

    settings: Settings
    engine: sa.Engine
    clock: Clock
    mailer: OutboxMailer
    """The development outbox, as the control room and ``ballroom outbox`` read it (empty when
    mail goes out through SMTP)."""
    mail_sender: Mailer
    """What sign-up codes are sent through: ``mailer`` itself, or the SMTP relay."""
    accounts: AccountService
    voting: VotingService
    control: ControlService
    season: Season
    integrity: IntegrityReview
    sms_gateway: SmsGatewayAuth
    sms_callbacks: SignedCallbacks
    """The signed SMS callbacks seen while fresh: a replay under another key is refused."""
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

    def rotate_sms_gateway_secret(self, *, grace_s: float, actor: str) -> GatewaySecrets:
        """Make a new stored SMS gateway secret current, the old one accepted ``grace_s`` more
        seconds; audited as ``actor``. ``Conflict`` when ``sms_gateway_secret`` is set: that
        secret is rotated in the settings (``sms_gateway_previous_secret``/``_until``)."""
        if self.settings.sms_gateway_secret is not None:
            raise Conflict(
                "the SMS gateway secret is set by BALLROOM_SMS_GATEWAY_SECRET: rotate it there, "
                "keeping the old one as BALLROOM_SMS_GATEWAY_PREVIOUS_SECRET until "
                "BALLROOM_SMS_GATEWAY_PREVIOUS_UNTIL",
                field="sms_gateway_secret",
            )
        rotate_secret(
            self.engine,
            SMS_GATEWAY_KEY,
            now=self.clock.now().timestamp(),
            grace_s=grace_s,
            actor=actor,
        )
        self.sms_gateway.refresh()
        return self.sms_gateway.secrets

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

    outbox = OutboxMailer(engine, now)
    mail_sender = _mail_sender(settings, outbox)

    def stored_gateway_secrets() -> GatewaySecrets:
        stored = stored_secret(engine, SMS_GATEWAY_KEY)
        return GatewaySecrets(stored.value, stored.previous, stored.previous_until)

    if settings.sms_gateway_secret is not None:
        # The operator's secret is current and the store's are not used (settings.py).
        until = settings.sms_gateway_previous_until
        sms_gateway = SmsGatewayAuth(
            GatewaySecrets(
                settings.sms_gateway_secret,
                settings.sms_gateway_previous_secret,
                None if until is None else until.timestamp(),
            ),
            now,
            tolerance_s=settings.sms_signature_tolerance_s,
        )
    else:
        sms_gateway = SmsGatewayAuth(
            stored_gateway_secrets(),
            now,
            tolerance_s=settings.sms_signature_tolerance_s,
            reload=stored_gateway_secrets,
        )
    accounts = AccountService(
        engine,
        now,
        mail_sender,
        secret_key=settings.secret_key or stored_secret(engine, SESSION_KEY).value,
        session_ttl_s=settings.session_ttl_s,
        code_ttl_s=settings.code_ttl_s,
        code_attempts=settings.code_attempts,
        codes_per_hour=settings.codes_per_hour,
        make_code=make_code,
        outbox=outbox,
    )
    voting = voting_service(
        engine,
        clock,
        cap=settings.cap,
        partitions=settings.partitions,
        batch_size=settings.batch_size,
        group_commit_ms=settings.group_commit_ms,
    )
    # Producers' void decisions leave those voters' votes out of the results the control
    # service computes; the review reads the night back from the control service.
    stored = SqlStoredLog(engine)
    voided = VoidedVotes(engine, stored)
    control = ControlService(engine, clock, voting, season, exclusions=voided)
    integrity = IntegrityReview(engine, clock, voting, control, voided, log=stored)
    return App(
        settings=settings,
        engine=engine,
        clock=clock,
        mailer=outbox,
        mail_sender=mail_sender,
        accounts=accounts,
        voting=voting,
        control=control,
        season=season,
        integrity=integrity,
        sms_gateway=sms_gateway,
        # A row outlives the tolerance by a minute, so no fresh signature outlives its row.
        sms_callbacks=SignedCallbacks(engine, now, settings.sms_signature_tolerance_s + 60),
    )


def open_store(db_url: str, **engine_options: object) -> sa.Engine:
    """The store at ``db_url``, migrated to the current schema (the caller disposes of it)."""
    engine = create_engine_for(db_url, **engine_options)
    upgrade(engine)
    return engine


def stored_log(store: sa.Engine, *, alone: bool = False) -> StoredLog:
    """The vote log of ``store`` read back (the export, the integrity review); ``alone`` when
    nothing else in this process has a SQLite store's file open while it reads (a one-shot
    command): it is then read through ADBC (``adapters/stored_log_sql.py``)."""
    return SqlStoredLog(store, alone=alone)


def vote_log(store: sa.Engine) -> VoteLog:
    """The vote log's store over ``store`` (SQLite or PostgreSQL), for a read of its own."""
    return vote_log_for(store)


def voting_service(
    store: VoteLog | sa.Engine,
    clock: Clock,
    *,
    cap: int = DEFAULT_CAP,
    partitions: int = 8,
    batch_size: int = 4096,
    group_commit_ms: float = 2.0,
    ids: IdGenerator | None = None,
    index_receipts: bool = True,
) -> VotingService:
    """The voting service over a vote log (an engine stands for its SQL store; tests pass
    the in-memory one) and the group-commit pipeline that writes to it.

    ``cap``: votes per couple per voter and channel; ``partitions``: voter partitions of the
    cap state; ``batch_size``/``group_commit_ms``: the most votes, and the longest wait, of a
    group commit; ``ids``: where ballot ids come from; ``index_receipts``: False for a bulk
    import (no receipt indexing beside the writer, all of it once when the service stops).
    """
    log = vote_log_for(store) if isinstance(store, sa.Engine) else store
    new_id = (ids or ProcessIds()).new_id

    def now_us() -> int:
        return us_from_datetime(clock.now())

    pipeline = VoteLogWriter(
        log,
        VoteRules(cap),
        now_us=now_us,
        new_id=new_id,
        cap=cap,
        partitions=partitions,
        batch_size=batch_size,
        max_wait=group_commit_ms / 1000.0,
    )
    return VotingService(log, pipeline, clock, index_receipts=index_receipts)


def _mail_sender(settings: Settings, outbox: OutboxMailer) -> Mailer:
    """The outbox in development, the SMTP relay when ``mail_backend`` is ``smtp``."""
    if settings.mail_backend == "outbox":
        return outbox
    if settings.smtp_from is None:  # the settings refuse this; a hand-built object may not
        raise WrongType("smtp_from is required when mail_backend is smtp", field="smtp_from")
    password = settings.smtp_password
    return SmtpMailer(
        settings.smtp_host,
        sender=settings.smtp_from,
        port=settings.smtp_port,
        security=settings.smtp_tls,
        username=settings.smtp_username,
        password=None if password is None else password.get_secret_value(),
        timeout_s=settings.smtp_timeout_s,
        ca_file=settings.smtp_ca_file,
    )
