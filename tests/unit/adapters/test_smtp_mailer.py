"""``SmtpMailer`` against a real SMTP relay (aiosmtpd, in-process): plain, STARTTLS, implicit
TLS, login; refusals, a relay that is down or hung, and an untrusted certificate."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ballroom.adapters.mail import SmtpMailer
from ballroom.errors import MailNotSent
from smtp_relay import (
    PASSWORD,
    REFUSED_DOMAIN,
    USER,
    Relay,
    closed_port,
    self_signed_certificate,
    silent_listener,
    smtp_relay,
)

SENDER = "Ballroom <no-reply@ballroom.example>"
SUBJECT = "Your ballroom voting code"
BODY = "Your code is 493817. It is valid for 15 minutes."


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return self_signed_certificate(tmp_path_factory.mktemp("relay-tls"))


@pytest.fixture
def plain() -> Iterator[Relay]:
    with smtp_relay() as relay:
        yield relay


def _assert_delivered(relay: Relay, recipient: str) -> None:
    (delivery,) = relay.inbox.deliveries
    assert delivery.mail_from == "no-reply@ballroom.example"
    assert delivery.rcpt_tos == [recipient]
    message = delivery.message
    assert message["To"] == recipient
    assert message["From"] == SENDER
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"].endswith("@ballroom.example>")
    assert message["Date"]
    assert message.get_content().strip() == BODY


def test_a_message_reaches_a_plain_relay(plain: Relay) -> None:
    mailer = SmtpMailer(plain.host, port=plain.port, security="none", sender=SENDER)
    mailer.send("viewer@example.com", SUBJECT, BODY)
    _assert_delivered(plain, "viewer@example.com")


def test_starttls_with_a_login(certificate: Path, caplog: pytest.LogCaptureFixture) -> None:
    with smtp_relay(security="starttls", certificate=certificate, login=True) as relay:
        mailer = SmtpMailer(
            "localhost",
            port=relay.port,
            security="starttls",
            sender=SENDER,
            username=USER,
            password=PASSWORD,
            ca_file=str(certificate),
        )
        mailer.send("viewer@example.com", SUBJECT, BODY)
        _assert_delivered(relay, "viewer@example.com")
        wrong = SmtpMailer(
            "localhost",
            port=relay.port,
            security="starttls",
            sender=SENDER,
            username=USER,
            password="not-the-password",
            ca_file=str(certificate),
        )
        with caplog.at_level(logging.WARNING, logger="ballroom.mail"), pytest.raises(MailNotSent):
            wrong.send("viewer@example.com", SUBJECT, BODY)
        assert len(relay.inbox.deliveries) == 1
        assert "535" in caplog.text  # the relay's refusal of the login, in the operator's log


def test_implicit_tls(certificate: Path) -> None:
    with smtp_relay(security="tls", certificate=certificate) as relay:
        mailer = SmtpMailer(
            "127.0.0.1", port=relay.port, security="tls", sender=SENDER, ca_file=str(certificate)
        )
        mailer.send("viewer@example.com", SUBJECT, BODY)
        _assert_delivered(relay, "viewer@example.com")


def test_tls_is_never_given_up(certificate: Path, plain: Relay) -> None:
    # A certificate the system does not trust: refused, nothing sent.
    with smtp_relay(security="starttls", certificate=certificate) as relay:
        untrusting = SmtpMailer("localhost", port=relay.port, security="starttls", sender=SENDER)
        with pytest.raises(MailNotSent):
            untrusting.send("viewer@example.com", SUBJECT, BODY)
        assert relay.inbox.deliveries == []
    # A relay that does not offer STARTTLS is not used in clear.
    upgrading = SmtpMailer(plain.host, port=plain.port, security="starttls", sender=SENDER)
    with pytest.raises(MailNotSent):
        upgrading.send("viewer@example.com", SUBJECT, BODY)
    assert plain.inbox.deliveries == []


def test_a_refused_recipient_names_the_address(
    plain: Relay, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = SmtpMailer(plain.host, port=plain.port, security="none", sender=SENDER)
    address = f"nobody@{REFUSED_DOMAIN}"
    with (
        caplog.at_level(logging.WARNING, logger="ballroom.mail"),
        pytest.raises(MailNotSent) as raised,
    ):
        mailer.send(address, SUBJECT, BODY)
    assert raised.value.code == "mail_not_sent"
    assert raised.value.field == "email"
    assert address in raised.value.message
    assert plain.inbox.deliveries == []
    logged = caplog.text
    assert "550" in logged
    assert address in logged
    assert "493817" not in logged  # never the code


def test_a_relay_that_is_down_or_hung_is_a_clear_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = SmtpMailer("127.0.0.1", port=closed_port(), security="none", sender=SENDER)
    with (
        caplog.at_level(logging.WARNING, logger="ballroom.mail"),
        pytest.raises(MailNotSent) as raised,
    ):
        down.send("viewer@example.com", SUBJECT, BODY)
    assert raised.value.code == "mail_not_sent"
    assert raised.value.field is None
    assert "refused the connection" in caplog.text
    with silent_listener() as port:
        hung = SmtpMailer("127.0.0.1", port=port, security="none", sender=SENDER, timeout_s=0.3)
        started = time.perf_counter()
        with pytest.raises(MailNotSent):
            hung.send("viewer@example.com", SUBJECT, BODY)
        assert time.perf_counter() - started < 3  # the timeout holds, not the OS default
    assert "did not answer in time" in caplog.text


def test_default_ports_follow_the_kind_of_tls() -> None:
    ports = {
        security: SmtpMailer("relay", security=security, sender=SENDER).port
        for security in ("starttls", "tls", "none")
    }
    assert ports == {"starttls": 587, "tls": 465, "none": 25}
