"""Accounts: voters who sign up by email, producers and judges who log in with a password.

Voters declare an age and a region (checked by ``ballroom.domain.eligibility``) and confirm
an emailed one-time code; the account's cap identity is its normalised email, so "+" aliases
and dotted Gmail spellings land on the same account and share one cap. Producer and judge
accounts are created from the CLI with a password hashed by scrypt. Every login yields a
session token ``<id>.<signature>``: the signature (HMAC of the id with the server's secret)
rejects a forged token before any lookup, and the server-side row lets a token expire or be
revoked.

Limits that nobody else can spend (``ballroom.adapters.attempts``): codes sent, wrong codes
and failed logins are counted per subject *and client* (the caller's network address), so an
attacker's guesses or sign-ups use up the attacker's allowance, not the victim's; a looser
ceiling per subject across all clients bounds a distributed guesser, and one per client
bounds a client working through many subjects. Any unexpired code of an address verifies it
(a newer code does not void an older one), the sign-up reply is the same for a known address
and a new one, and an unknown login name costs the same single password hash as a real one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import threading
import uuid
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ballroom.adapters import attempts
from ballroom.adapters.attempts import Limit
from ballroom.adapters.db.schema_accounts import sessions, staff, verification_codes, voters
from ballroom.domain.eligibility import check_online_eligibility
from ballroom.domain.voting import normalise_email
from ballroom.errors import (
    BallroomError,
    Conflict,
    Forbidden,
    InvalidCode,
    InvalidCredentials,
    InvalidToken,
    MissingField,
    NotFound,
    RateLimited,
    TokenExpired,
    Unavailable,
    UnverifiedVoter,
    WrongType,
)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_HOUR = 3600.0
_SESSION_CACHE_ENTRIES = 100_000
# How long this process remembers a token it logged out: longer than any store read of a
# session can take, so a read that began before the logout never caches the token after it.
_LOGGED_OUT_MEMORY_S = 60.0
log = logging.getLogger(__name__)
LOGIN_WINDOW_S = 900.0
"""Failed logins are counted over this many seconds."""
LOGIN_LIMITS = (
    Limit("login:pair", 5, LOGIN_WINDOW_S),  # one name, from one client
    Limit("login:client", 20, LOGIN_WINDOW_S),  # any names, from one client
    Limit("login:name", 50, LOGIN_WINDOW_S),  # one name, from anywhere
)
CLIENT_CODES_PER_HOUR = 60
"""Codes one client may have sent in an hour, to any addresses (a mail bomb's ceiling)."""
CLIENT_WRONG_CODES_PER_HOUR = 60
"""Wrong codes one client may enter in an hour, for any addresses."""
CEILING_FACTOR = 4
"""A subject's ceiling across all clients, as a multiple of its limit per client."""


class Role(StrEnum):
    """Who is acting: a viewer, a producer in the control room, or a judge."""

    VOTER = "voter"
    PRODUCER = "producer"
    JUDGE = "judge"


class Mailer(Protocol):
    """Sends one message; the development adapter keeps it in a local outbox."""

    def send(self, recipient: str, subject: str, body: str) -> None: ...


class OutboxEntry(Protocol):
    """One message kept by the development outbox."""

    def as_dict(self) -> dict[str, Any]: ...


class MailOutbox(Protocol):
    """The development outbox read back (``ballroom.adapters.mail.OutboxMailer``)."""

    def messages(self, *, limit: int = 50) -> Sequence[OutboxEntry]: ...


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    role: Role
    id: str
    name: str
    judge: str | None = None
    """For a judge: the panel judge id whose scores this account keys."""
    email: str | None = None
    identity: str | None = None
    """For a voter: the normalised email that the cap is counted against."""
    verified: bool = True


@dataclass(frozen=True)
class Session:
    """A bearer token and what it stands for."""

    token: str
    expires_at: float
    principal: Principal

    def as_dict(self) -> dict[str, Any]:
        who = self.principal
        return {
            "token": self.token,
            "expires_at": self.expires_at,
            "role": who.role.value,
            "id": who.id,
            "name": who.name,
            "judge": who.judge,
        }


@dataclass(frozen=True)
class SignUp:
    """What a sign-up returns: that a code is on its way. The same for a new address and a
    known one (the reply must not tell whether an address is registered)."""

    email: str

    def as_dict(self) -> dict[str, Any]:
        return {"email": self.email, "status": "code_sent"}


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise ``Forbidden`` unless ``principal`` holds one of ``roles``."""
    if principal.role not in roles:
        names = " or ".join(role.value for role in roles)
        raise Forbidden(f"only a {names} may do this")


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash``, base64 parts; a fresh random salt unless given."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return "$".join(
        ["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), _b64(salt), _b64(digest)]
    )


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a ``hash_password`` result (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(actual, _unb64(digest))


class AccountService:
    """Sign-up, verification, logins and token checks, stored through SQLAlchemy Core."""

    def __init__(
        self,
        engine: sa.Engine,
        now: Callable[[], float],
        mailer: Mailer,
        *,
        secret_key: str,
        session_ttl_s: float = 12 * _HOUR,
        code_ttl_s: float = 900.0,
        code_attempts: int = 5,
        codes_per_hour: int = 5,
        make_code: Callable[[], str] | None = None,
        session_cache_s: float = 5.0,
        outbox: MailOutbox | None = None,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._now = now
        self._mailer = mailer
        self._key = secret_key.encode()
        self._session_ttl = session_ttl_s
        self._code_ttl = code_ttl_s
        self._code_attempts = code_attempts
        self._codes_per_hour = codes_per_hour
        self._make_code = make_code or (lambda: f"{secrets.randbelow(10**6):06d}")
        # token -> (principal, session expiry, when it was read from the store). Every ballot
        # carries a token: re-reading two rows per request cost the hot path more than the
        # vote itself. A logout here evicts at once; another process's logout (or a row
        # changed behind our back) is seen within ``session_cache_s``.
        self._session_cache_s = session_cache_s
        self._sessions: dict[str, tuple[Principal, float, float]] = {}
        # Tokens whose entry a caller is re-reading ahead of its end (refresh_session), so a
        # busy token costs one store read per refresh, never one per request that meets it.
        self._refreshing: set[str] = set()
        # Tokens logged out here (token -> when), and the lock that makes "not logged out,
        # so cache it" one step against a logout's "remember, then evict".
        self._logged_out: dict[str, float] = {}
        self._cache_lock = threading.Lock()
        # Checked against for an unknown login name: one scrypt, as for a real one.
        self._unknown_hash = hash_password(secrets.token_urlsafe(24))
        self._insert = (postgresql if engine.dialect.name == "postgresql" else sqlite).insert
        per_address = Limit("code:pair", codes_per_hour, _HOUR)
        self._code_limits = (
            per_address,
            Limit("code:client", CLIENT_CODES_PER_HOUR, _HOUR),
            Limit("code:address", codes_per_hour * CEILING_FACTOR, _HOUR),
        )
        self._wrong_code_limits = (
            Limit("verify:pair", code_attempts, code_ttl_s),
            Limit("verify:client", CLIENT_WRONG_CODES_PER_HOUR, _HOUR),
            Limit("verify:address", code_attempts * CEILING_FACTOR * 2, _HOUR),
        )

    # -- voters ---------------------------------------------------------------------------

    def sign_up(self, email: Any, age: Any, region: Any, *, client: str = "") -> SignUp:
        """Register (or find) the voter behind ``email`` and email a one-time code.

        ``client`` is the caller's network address: the hourly code limit is counted per
        address *and* client, so nobody else's sign-ups can spend a voter's codes."""
        address = _email(email)
        years, place = check_online_eligibility(age, region)
        identity = normalise_email(address)
        now = self._now()
        with self._engine.begin() as connection:
            # A write first: it takes SQLite's write lock, and on PostgreSQL a racing sign-up
            # for the same address waits on the row, so the counts below are exact.
            connection.execute(
                self._insert(voters)
                .values(
                    id=f"v-{uuid.uuid4().hex[:16]}",
                    email=address,
                    identity=identity,
                    age=years,
                    region=place,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["identity"])
            )
            voter_id = str(
                connection.execute(
                    sa.select(voters.c.id).where(voters.c.identity == identity).with_for_update()
                ).scalar_one()
            )
            counted = self._count_code(connection, identity, client, now)
            code = self._store_code(connection, voter_id, now)
        self._mail_code(address, voter_id, code, counted)
        return SignUp(email=address)

    def sign_in(self, email: Any, *, client: str = "") -> SignUp:
        """Email a new one-time code to a voter who signed up before (age and region are on
        file already). The reply is the same for an address nobody signed up with: that
        address is emailed how to sign up instead, within the same limits."""
        address = _email(email)
        identity = normalise_email(address)
        now = self._now()
        with self._engine.begin() as connection:
            counted = self._count_code(connection, identity, client, now)
            row = connection.execute(
                sa.select(voters.c.id, voters.c.email).where(voters.c.identity == identity)
            ).first()
            code = None if row is None else self._store_code(connection, str(row.id), now)
        if row is None or code is None:
            self._send_mail(
                address,
                "Your ballroom voting sign-up",
                "Someone asked to sign in to ballroom voting with this address, but it has not "
                "signed up yet. To vote, open the vote page, choose to sign up, and give your "
                "age and region. If this was not you, ignore this message.",
                counted,
            )
        else:  # to the address the voter signed up with, as it was given then
            self._mail_code(str(row.email), str(row.id), code, counted)
        return SignUp(email=address)

    def _count_code(
        self, connection: sa.Connection, identity: str, client: str, now: float
    ) -> list[int]:
        """Count a code to be sent to ``identity`` at ``client``'s request (raised inside the
        caller's transaction, a refusal is rolled back and counts nothing)."""
        counted, over = attempts.record(
            connection, self._counted(self._code_limits, identity, client), now
        )
        if over is not None:
            raise RateLimited(
                "too many codes requested from this connection; try again within the hour"
                if over.scope == "code:client"
                else "too many codes requested for this address; try again within the hour",
                field="email",
            )
        return counted

    def _store_code(self, connection: sa.Connection, voter_id: str, now: float) -> str:
        """A new one-time code for the voter, stored hashed; answers the code to email."""
        code = self._make_code()
        connection.execute(
            verification_codes.insert().values(
                voter_id=voter_id,
                code_hash=self._code_hash(voter_id, code),
                created_at=now,
                expires_at=now + self._code_ttl,
            )
        )
        return code

    def _mail_code(self, address: str, voter_id: str, code: str, counted: list[int]) -> None:
        minutes = int(self._code_ttl // 60)
        try:
            self._send_mail(
                address,
                "Your ballroom voting code",
                f"Your code is {code}. It is valid for {minutes} minutes.",
                counted,
            )
        except Unavailable:
            # Stored before sending (a slow relay must not hold the store's write lock); an
            # undelivered code must not be accepted.
            with self._engine.begin() as connection:
                connection.execute(
                    verification_codes.delete()
                    .where(verification_codes.c.voter_id == voter_id)
                    .where(verification_codes.c.code_hash == self._code_hash(voter_id, code))
                )
            raise

    def _send_mail(self, address: str, subject: str, body: str, counted: list[int]) -> None:
        try:
            self._mailer.send(address, subject, body)
        except Unavailable:
            # An undelivered message does not count toward the hourly limits.
            with self._engine.begin() as connection:
                attempts.forget(connection, counted)
            raise

    def verify(self, email: Any, code: Any, *, client: str = "") -> Session:
        """Check the emailed code; the first right answer verifies the account and logs in.

        Any unexpired, unused code of the address is accepted. Wrong codes are counted per
        address and ``client``: an attacker's guesses use up the attacker's tries only."""
        identity = normalise_email(_email(email))
        if not isinstance(code, str) or not code.strip():
            raise WrongType("code must be the 6-digit code from the email", field="code")
        now = self._now()
        wrong = InvalidCode("wrong or expired code; request a new one if it is lost", field="code")
        with self._engine.begin() as connection:
            counted, over = attempts.record(
                connection, self._counted(self._wrong_code_limits, identity, client), now
            )
            if over is not None:  # raised inside: the refused attempt is rolled back
                raise RateLimited("too many wrong codes; wait a while and try again", field="code")
            voter = connection.execute(
                sa.select(voters).where(voters.c.identity == identity)
            ).first()
            live: Sequence[sa.Row[Any, Any]] = ()
            if voter is not None:
                live = connection.execute(
                    sa.select(verification_codes.c.id, verification_codes.c.code_hash)
                    .where(verification_codes.c.voter_id == voter.id)
                    .where(verification_codes.c.used_at.is_(None))
                    .where(verification_codes.c.expires_at > now)
                ).all()
            given = self._code_hash(voter.id, code.strip()) if voter is not None else ""
            # Every live code is compared, so the time taken does not tell which matched.
            matched = [row.id for row in live if hmac.compare_digest(row.code_hash, given)]
            session = None
            if matched and voter is not None:
                session = self._consume(connection, voter, matched[0], now)
                attempts.forget(connection, counted)  # a right code is not a failed try
        # Raised after the block commits: the failed attempt must stay counted.
        if session is None or voter is None:
            raise wrong
        principal = Principal(
            role=Role.VOTER,
            id=voter.id,
            name=voter.email,
            email=voter.email,
            identity=voter.identity,
            verified=True,
        )
        return Session(token=session[0], expires_at=session[1], principal=principal)

    @staticmethod
    def _counted(
        limits: tuple[Limit, Limit, Limit], who: str, client: str
    ) -> list[tuple[Limit, str]]:
        """(pair, client, subject) limits with the subjects each counts per."""
        pair, per_client, per_subject = limits
        return [
            (pair, attempts.subject(who, client)),
            (per_client, attempts.subject(client)),
            (per_subject, attempts.subject(who)),
        ]

    def _consume(
        self, connection: sa.Connection, voter: sa.Row[Any], code_id: int, now: float
    ) -> tuple[str, float]:
        # Guarded update: of two concurrent right answers only one consumes the code.
        used = connection.execute(
            verification_codes.update()
            .where(verification_codes.c.id == code_id)
            .where(verification_codes.c.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if used != 1:
            raise InvalidCode("this code was already used; request a new one", field="code")
        if voter.verified_at is None:
            connection.execute(
                voters.update().where(voters.c.id == voter.id).values(verified_at=now)
            )
        return self._open_session(connection, Role.VOTER, voter.id, now)

    # -- producers and judges -------------------------------------------------------------

    def create_staff(
        self, name: Any, role: Any, password: Any, *, judge: str | None = None
    ) -> Principal:
        """A producer or judge account; a judge keys the scores of panel judge ``judge``."""
        if not isinstance(name, str) or not _NAME.match(name):
            raise WrongType("name must be 1-100 letters, digits, '.', '_' or '-'", field="name")
        try:
            kind = Role(role)
        except ValueError:
            raise WrongType("role must be producer or judge", field="role") from None
        if kind is Role.VOTER:
            raise WrongType("role must be producer or judge", field="role")
        if not isinstance(password, str) or len(password) < 8:
            raise WrongType("password must be at least 8 characters", field="password")
        panel_id = (judge or name) if kind is Role.JUDGE else None
        staff_id = f"s-{uuid.uuid4().hex[:16]}"
        with self._engine.begin() as connection:
            taken = connection.execute(sa.select(staff.c.id).where(staff.c.name == name)).first()
            if taken is not None:
                raise Conflict(f"an account named {name!r} already exists", field="name")
            connection.execute(
                staff.insert().values(
                    id=staff_id,
                    name=name,
                    role=kind.value,
                    judge=panel_id,
                    password_hash=hash_password(password),
                    created_at=self._now(),
                )
            )
        return Principal(role=kind, id=staff_id, name=name, judge=panel_id)

    def log_in(self, name: Any, password: Any, *, client: str = "") -> Session:
        """A producer's or judge's session, from name and password.

        Failed logins are limited per name and ``client``, per client and per name
        (:data:`LOGIN_LIMITS`); an unknown name does the same work as a real one."""
        if not isinstance(name, str) or not name:
            raise MissingField("name is required", field="name")
        if not isinstance(password, str) or not password:
            raise MissingField("password is required", field="password")
        pair, per_client, per_name = LOGIN_LIMITS
        counted = [
            (pair, attempts.subject(name, client)),
            (per_client, attempts.subject(client)),
            (per_name, attempts.subject(name)),
        ]
        now = self._now()
        with self._engine.begin() as connection:
            ids, over = attempts.record(connection, counted, now)
            if over is not None:  # raised inside: the refused attempt is rolled back
                raise RateLimited("too many failed logins; wait a few minutes and try again")
            row = connection.execute(sa.select(staff).where(staff.c.name == name)).first()
        # One hash either way, so timing does not reveal which names exist.
        stored = row.password_hash if row is not None else self._unknown_hash
        if not check_password(password, stored) or row is None:
            raise InvalidCredentials("wrong name or password")
        with self._engine.begin() as connection:
            attempts.forget(connection, ids)  # a login that succeeds is not a failed one
            token, expires = self._open_session(connection, Role(row.role), row.id, now)
        principal = Principal(role=Role(row.role), id=row.id, name=row.name, judge=row.judge)
        return Session(token=token, expires_at=expires, principal=principal)

    def staff_accounts(self) -> list[Principal]:
        """Every producer and judge account, by name."""
        with self._engine.connect() as connection:
            rows = connection.execute(sa.select(staff).order_by(staff.c.name)).all()
        return [
            Principal(role=Role(row.role), id=row.id, name=row.name, judge=row.judge)
            for row in rows
        ]

    # -- sessions -------------------------------------------------------------------------

    def cached_principal(self, token: str | None) -> Principal | None:
        """The principal behind ``token`` if it was checked against the store moments ago and
        has not expired since; ``None`` means: call :meth:`authenticate`. Never blocks."""
        if not token:
            return None
        hit = self._sessions.get(token)
        if hit is None:
            return None
        principal, expires_at, checked_at = hit
        now = self._now()
        if expires_at <= now or now - checked_at >= self._session_cache_s:
            return None
        return principal

    def refresh_due(self, token: str) -> bool:
        """Whether the caller should re-read ``token``'s cached entry now, in the background
        (:meth:`refresh_session`): it is past the refresh point, a fraction of
        ``session_cache_s`` that differs from token to token (so the tokens first seen together
        are not all re-read together), and nobody is re-reading it yet. ``True`` claims the
        re-read: the caller must call :meth:`refresh_session`. Never blocks.

        Until the entry's ``session_cache_s`` are up :meth:`cached_principal` serves it as
        before, so what a re-read finds (a revoke, an expiry) is seen no later than without
        one; a busy token is simply never left to miss.
        """
        hit = self._sessions.get(token)
        if hit is None or token in self._refreshing:
            return False
        age = self._now() - hit[2]
        if age < self._session_cache_s * _refresh_point(token):
            return False
        self._refreshing.add(token)
        return True

    def refresh_session(self, token: str) -> None:
        """Re-read a cached token's session (claimed by :meth:`refresh_due`): cache it again,
        or drop it when the store refuses it now. Never raises: a failed read leaves the entry
        to end at its time, and the next request then reads the store itself."""
        try:
            self._store_read(token)
        except BallroomError:
            self._sessions.pop(token, None)
        except Exception:
            log.exception("re-reading a session failed")
        finally:
            self._refreshing.discard(token)

    def authenticate(self, token: str | None) -> Principal:
        """The principal behind a bearer token; 401 errors for anything else."""
        cached = self.cached_principal(token)
        if cached is not None:
            return cached
        return self._store_read(token)

    def _store_read(self, token: str | None) -> Principal:
        """Read the token's session from the store and cache it (from when the read began, so
        the entry never outlives ``session_cache_s`` after what the store said)."""
        read_at = self._now()
        principal, expires_at = self._read_session(token)
        assert token is not None  # _read_session refused a missing token
        with self._cache_lock:
            # A logout here may have committed while this read was in flight: the store has
            # revoked the token since, so neither serve nor cache what the read found.
            if token in self._logged_out:
                raise InvalidToken("the token was revoked (logged out)")
            if self._session_cache_s > 0:
                if len(self._sessions) >= _SESSION_CACHE_ENTRIES:
                    self._sessions.clear()  # crude bound; a miss only costs a store read
                self._sessions[token] = (principal, expires_at, read_at)
        return principal

    def _read_session(self, token: str | None) -> tuple[Principal, float]:
        if not token:
            raise InvalidToken("a bearer token is required")
        session_id, dot, signature = token.partition(".")
        if not dot or not hmac.compare_digest(signature, self._sign(session_id)):
            raise InvalidToken("the token is not one this server issued")
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(sessions).where(sessions.c.id == session_id)).first()
            if row is None:
                raise InvalidToken("the token is not one this server issued")
            if row.revoked_at is not None:
                raise InvalidToken("the token was revoked (logged out)")
            if row.expires_at <= self._now():
                raise TokenExpired("the session has expired; log in again")
            if row.kind == Role.VOTER:
                voter = connection.execute(
                    sa.select(voters).where(voters.c.id == row.subject)
                ).one()
                return Principal(
                    role=Role.VOTER,
                    id=voter.id,
                    name=voter.email,
                    email=voter.email,
                    identity=voter.identity,
                    verified=voter.verified_at is not None,
                ), row.expires_at
            account = connection.execute(sa.select(staff).where(staff.c.id == row.subject)).one()
        return Principal(
            role=Role(account.role), id=account.id, name=account.name, judge=account.judge
        ), row.expires_at

    def log_out(self, token: str | None) -> None:
        """Revoke a token; a revoked token is refused from then on."""
        self.authenticate(token)
        assert token is not None  # authenticate refused a missing token
        with self._engine.begin() as connection:
            connection.execute(
                sessions.update()
                .where(sessions.c.id == token.partition(".")[0])
                .values(revoked_at=self._now())
            )
        # After the commit, so a read that raced the revoke is dropped too, and one still in
        # flight finds the token remembered (``_store_read``) and caches nothing.
        now = self._now()
        with self._cache_lock:
            while self._logged_out:  # in logout order: the oldest first
                oldest = next(iter(self._logged_out))
                if now - self._logged_out[oldest] < _LOGGED_OUT_MEMORY_S:
                    break
                del self._logged_out[oldest]
            self._logged_out[token] = now
            self._sessions.pop(token, None)

    def outbox_messages(self, who: Principal, *, limit: int = 50) -> list[dict[str, Any]]:
        """The development mail outbox, newest first (producers only; empty when mail goes
        out through a relay)."""
        require_role(who, Role.PRODUCER)
        if self._outbox is None:
            return []
        return [message.as_dict() for message in self._outbox.messages(limit=limit)]

    def voter(self, voter_id: str) -> Principal:
        """A voter account by id."""
        with self._engine.connect() as connection:
            row = connection.execute(sa.select(voters).where(voters.c.id == voter_id)).first()
        if row is None:
            raise NotFound(f"no voter {voter_id!r}", field="voter")
        return Principal(
            role=Role.VOTER,
            id=row.id,
            name=row.email,
            email=row.email,
            identity=row.identity,
            verified=row.verified_at is not None,
        )

    @staticmethod
    def require_verified(principal: Principal) -> None:
        """Raise unless ``principal`` is a voter with a confirmed address."""
        if principal.role is not Role.VOTER:
            raise UnverifiedVoter("only voter accounts cast ballots")
        if not principal.verified:
            raise UnverifiedVoter("confirm the emailed code before voting")

    # -- internals ------------------------------------------------------------------------

    def _open_session(
        self, connection: sa.Connection, role: Role, subject: str, now: float
    ) -> tuple[str, float]:
        session_id = secrets.token_urlsafe(18)
        expires = now + self._session_ttl
        connection.execute(
            sessions.insert().values(
                id=session_id,
                kind=role.value,
                subject=subject,
                created_at=now,
                expires_at=expires,
            )
        )
        return f"{session_id}.{self._sign(session_id)}", expires

    def _sign(self, session_id: str) -> str:
        return _b64(hmac.new(self._key, session_id.encode(), hashlib.sha256).digest())

    def _code_hash(self, voter_id: str, code: str) -> str:
        return hmac.new(self._key, f"{voter_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _email(value: Any) -> str:
    if value is None:
        raise MissingField("email is required", field="email")
    if not isinstance(value, str):
        raise WrongType("email must be a string", field="email")
    address = value.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise WrongType(f"{value!r} is not an email address", field="email")
    return address


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _refresh_point(token: str) -> float:
    """The fraction of the session cache's time after which a token's entry is re-read ahead:
    between 0.5 and 0.9, fixed per token, spread over the tokens."""
    return 0.5 + (zlib.crc32(token.encode()) % 1000) / 2500
