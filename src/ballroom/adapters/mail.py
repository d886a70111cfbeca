"""Mail adapters: the development outbox (a table the CLI and the control room can show) and
the SMTP sender of a real deployment (setting ``mail_backend``)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any, Literal

import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import outbox
from ballroom.errors import MailNotSent

log = logging.getLogger("ballroom.mail")

SmtpSecurity = Literal["starttls", "tls", "none"]
DEFAULT_SMTP_PORTS: dict[SmtpSecurity, int] = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class OutboxMessage:
    """One message as the outbox holds it."""

    id: int
    recipient: str
    subject: str
    body: str
    created_at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "created_at": datetime.fromtimestamp(self.created_at, UTC).isoformat(),
        }


class OutboxMailer:
    """Keeps every message in the ``outbox`` table instead of sending it (development)."""

    def __init__(self, engine: sa.Engine, now: Callable[[], float]) -> None:
        self._engine = engine
        self._now = now

    def send(self, recipient: str, subject: str, body: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                outbox.insert().values(
                    recipient=recipient, subject=subject, body=body, created_at=self._now()
                )
            )

    def messages(self, *, limit: int = 50, recipient: str | None = None) -> list[OutboxMessage]:
        """The newest messages first, optionally only those to one address."""
        query = sa.select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if recipient is not None:
            query = query.where(outbox.c.recipient == recipient)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            OutboxMessage(row.id, row.recipient, row.subject, row.body, row.created_at)
            for row in rows
        ]


class SmtpMailer:
    """Sends each message through an SMTP relay: one connection per message (codes are rare).

    ``security``: ``starttls`` upgrades the connection before anything else is said (a relay
    that does not offer it is refused, never used in clear), ``tls`` speaks TLS from the first
    byte, ``none`` talks in clear (a relay on this host or network). The relay's certificate
    is checked against the system's CAs, or ``ca_file``'s. ``username``/``password`` log in.

    Every step with the relay may take ``timeout_s`` at most, so a hung relay holds the caller
    for seconds, not forever; the HTTP sign-up route is a plain ``def`` that Starlette runs in
    its thread pool, so the event loop never waits on the relay. A message the relay refuses
    or cannot take is :class:`~ballroom.errors.MailNotSent` (HTTP 503, field ``email`` when the
    relay refused that recipient), logged with the reason and never with the body.

    A one-time code is stored before it is mailed (the store is not held open while the relay
    answers); when sending fails, ``AccountService.sign_up`` withdraws that code again, so an
    undelivered code neither counts toward the hourly limit nor voids one that did arrive, and
    the caller, told ``mail_not_sent``, simply asks again.
    """

    def __init__(
        self,
        host: str,
        *,
        sender: str,
        port: int | None = None,
        security: SmtpSecurity = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        ca_file: str | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("username and password go together")  # programming error
        self.host = host
        self.port = port if port is not None else DEFAULT_SMTP_PORTS[security]
        self.sender = sender
        self.security: SmtpSecurity = security
        self._login = None if username is None or password is None else (username, password)
        self.timeout_s = timeout_s
        self._tls = ssl.create_default_context(cafile=ca_file) if security != "none" else None
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or None

    def send(self, recipient: str, subject: str, body: str) -> None:
        """Hand one message to the relay; ``MailNotSent`` if it is not accepted."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self._domain)
        message.set_content(body)
        try:
            with self._connect() as client:
                if self._login is not None:
                    client.login(*self._login)
                client.send_message(message, from_addr=parseaddr(self.sender)[1])
        except smtplib.SMTPRecipientsRefused as error:
            reasons = "; ".join(
                f"{code} {answer.decode(errors='replace')}"
                for code, answer in error.recipients.values()
            )
            log.warning("mail to %s refused by %s: %s", recipient, self.host, reasons)
            raise MailNotSent(
                f"the mail server refused the address {recipient}", field="email"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            # OSError covers a refused connection, a timeout and a failed TLS handshake. The
            # caller learns that mail is down; the operator's log says why.
            log.warning(
                "mail to %s not sent via %s:%s: %s", recipient, self.host, self.port, _why(error)
            )
            raise MailNotSent("the mail could not be sent; try again in a few minutes") from error

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self._tls)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.security == "starttls":
            try:
                client.starttls(context=self._tls)  # says EHLO first; refuses if not offered
            except BaseException:
                client.close()
                raise
        return client


def _why(error: BaseException) -> str:
    """A short, single-line reason for a failed send, for the log."""
    if isinstance(error, smtplib.SMTPResponseException):
        answer = error.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        return f"the relay answered {error.smtp_code} {text}".strip()
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
        # smtplib reports a reply that timed out as a disconnection, the timeout as its cause.
        return "the relay did not answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "the relay refused the connection"
    if isinstance(error, ssl.SSLError):
        return f"TLS with the relay failed: {error.reason or error}"
    return str(error) or type(error).__name__
