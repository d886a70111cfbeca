"""Sign-up codes by real SMTP (``mail_backend=smtp``): the code arrives at a real relay and
verifies; a refused address or a relay that is down is a 503 ``mail_not_sent``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from api_support import Api, assert_error, start_api

from ballroom.adapters.db.schema_accounts import verification_codes
from ballroom.adapters.mail import SmtpMailer
from ballroom.bootstrap import bootstrap
from ballroom.settings import load_settings
from smtp_relay import REFUSED_DOMAIN, Relay, closed_port, smtp_relay

SENDER = "Ballroom <codes@ballroom.example>"


@pytest.fixture
def relay() -> Iterator[Relay]:
    with smtp_relay() as running:
        yield running


def _api(database_url: str, port: int) -> Iterator[Api]:
    return start_api(
        database_url,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_tls="none",
        smtp_from=SENDER,
        smtp_timeout_s=2.0,
    )


def _sign_up(api: Api, email: str) -> Any:
    return api.client.post("/api/v1/accounts", json={"email": email, "age": 30, "region": "US"})


def test_the_code_arrives_by_smtp_and_verifies(database_url: str, relay: Relay) -> None:
    for api in _api(database_url, relay.port):
        assert isinstance(api.app.mail_sender, SmtpMailer)
        response = _sign_up(api, "Viewer@Example.com")
        assert response.status_code == 202, response.text
        (delivery,) = relay.inbox.deliveries
        assert delivery.rcpt_tos == ["Viewer@Example.com"]
        assert delivery.message["To"] == "Viewer@Example.com"
        assert delivery.message["From"] == SENDER
        assert delivery.message["Subject"] == "Your ballroom voting code"
        body = delivery.message.get_content()
        assert body.startswith("Your code is ")
        code = body.removeprefix("Your code is ")[:6]
        verified = api.client.post(
            "/api/v1/accounts/verify", json={"email": "viewer@example.com", "code": code}
        )
        assert verified.status_code == 200, verified.text
        assert verified.json()["role"] == "voter"
        # Real mail leaves nothing in the development outbox.
        assert api.app.mailer.messages() == []


def test_a_refused_address_is_a_503_naming_the_email(database_url: str, relay: Relay) -> None:
    for api in _api(database_url, relay.port):
        response = _sign_up(api, f"fan@{REFUSED_DOMAIN}")
        assert_error(response, 503, "mail_not_sent", "email")
        assert relay.inbox.deliveries == []


def test_a_relay_that_is_down_is_a_503_and_a_later_code_works(database_url: str) -> None:
    port = closed_port()
    for api in _api(database_url, port):
        # More failures than the hourly limit of codes: an undelivered code is withdrawn, so
        # it neither counts toward the limit nor voids a code that did arrive.
        for _ in range(api.app.settings.codes_per_hour + 1):
            assert_error(_sign_up(api, "viewer@example.com"), 503, "mail_not_sent")
        with api.app.engine.connect() as connection:
            issued = connection.execute(
                sa.select(sa.func.count()).select_from(verification_codes)
            ).scalar_one()
        assert issued == 0
    # With the relay reachable again, asking again sends a code that verifies.
    with smtp_relay() as relay:
        for api in _api(database_url, relay.port):
            assert _sign_up(api, "viewer@example.com").status_code == 202
            code = relay.inbox.deliveries[0].message.get_content().removeprefix("Your code is ")
            verified = api.client.post(
                "/api/v1/accounts/verify", json={"email": "viewer@example.com", "code": code[:6]}
            )
            assert verified.status_code == 200, verified.text


def test_bootstrap_wires_the_outbox_unless_smtp_is_chosen(sqlite_url: str) -> None:
    app = bootstrap(load_settings(db_url=sqlite_url))
    try:
        assert app.mail_sender is app.mailer
    finally:
        app.stop()
    app = bootstrap(
        load_settings(
            db_url=sqlite_url,
            mail_backend="smtp",
            smtp_host="relay.example",
            smtp_tls="tls",
            smtp_from=SENDER,
            smtp_username="ballroom",
            smtp_password="relay-password",
        )
    )
    try:
        sender = app.mail_sender
        assert isinstance(sender, SmtpMailer)
        assert (sender.host, sender.port, sender.security) == ("relay.example", 465, "tls")
        assert sender.sender == SENDER
    finally:
        app.stop()
