"""A real SMTP relay in-process (aiosmtpd) for the mail tests: plain, STARTTLS or implicit
TLS, with or without a login, refusing the recipients it is told to refuse."""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

REFUSED_DOMAIN = "refused.example"
"""The relay answers 550 to any recipient at this domain."""
USER, PASSWORD = "ballroom", "relay-password"


@dataclass(frozen=True)
class Delivery:
    """One message as the relay received it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """The relay's handler: keeps what it accepts."""

    deliveries: list[Delivery] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.endswith("@" + REFUSED_DOMAIN):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login,
        auth_data.password,
    ) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the relay answers 535


class _Relay(Controller):
    """A controller on a free port: the port is read back from the bound socket."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass(frozen=True)
class Relay:
    """A running relay: where it listens and what it received."""

    host: str
    port: int
    inbox: Inbox


@contextmanager
def smtp_relay(
    *, security: str = "none", certificate: Path | None = None, login: bool = False
) -> Iterator[Relay]:
    """Run a relay on 127.0.0.1: ``none``, ``starttls`` (required) or ``tls`` (implicit),
    presenting ``certificate`` (a PEM with key and certificate) for the two TLS kinds."""
    inbox = Inbox()
    server_tls: ssl.SSLContext | None = None
    if security != "none":
        assert certificate is not None
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(certificate)
    options: dict[str, Any] = {}
    if security == "starttls":
        options.update(tls_context=server_tls, require_starttls=True)
    if login:
        options.update(authenticator=_authenticator, auth_required=True)
    controller = _Relay(
        inbox,
        hostname="127.0.0.1",
        port=0,
        ssl_context=server_tls if security == "tls" else None,
        **options,
    )
    controller.start()
    try:
        yield Relay("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()


def self_signed_certificate(folder: Path) -> Path:
    """A PEM holding a fresh key and a certificate for localhost and 127.0.0.1 (openssl)."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-nodes", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    both = folder / "relay.pem"
    both.write_text(key.read_text() + cert.read_text())
    return both


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a relay that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung relay)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])
