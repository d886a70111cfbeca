"""The mail and SMS-secret settings: SMTP is chosen by environment, and incomplete or unsafe
combinations are refused naming the setting at fault."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ballroom.errors import WrongType
from ballroom.settings import Settings, load_settings


def test_the_outbox_is_the_default_and_smtp_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().mail_backend == "outbox"
    monkeypatch.setenv("BALLROOM_MAIL_BACKEND", "smtp")
    monkeypatch.setenv("BALLROOM_SMTP_HOST", "relay.example")
    monkeypatch.setenv("BALLROOM_SMTP_FROM", "Ballroom <no-reply@ballroom.example>")
    monkeypatch.setenv("BALLROOM_SMTP_USERNAME", "ballroom")
    monkeypatch.setenv("BALLROOM_SMTP_PASSWORD", "relay-password")
    settings = load_settings()
    assert (settings.mail_backend, settings.smtp_host, settings.smtp_tls) == (
        "smtp",
        "relay.example",
        "starttls",
    )
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "relay-password"
    assert "relay-password" not in repr(settings)


@pytest.mark.parametrize(
    ("given", "field", "words"),
    [
        ({"mail_backend": "smtp"}, "smtp_from", "required when mail_backend is smtp"),
        ({"mail_backend": "smtp", "smtp_from": "nobody"}, "smtp_from", "an address"),
        ({"mail_backend": "carrier-pigeon"}, "mail_backend", ""),
        ({"smtp_tls": "ssl3"}, "smtp_tls", ""),
        ({"smtp_username": "ballroom"}, "smtp_password", "go together"),
        ({"smtp_password": "secret"}, "smtp_password", "go together"),
        (
            {"smtp_username": "ballroom", "smtp_password": "secret", "smtp_tls": "none"},
            "smtp_password",
            "never sent in clear",
        ),
        ({"smtp_timeout_s": 0}, "smtp_timeout_s", ""),
        ({"smtp_port": 70000}, "smtp_port", ""),
        (
            {"sms_gateway_secret": "s" * 16, "sms_gateway_previous_secret": "p" * 16},
            "sms_gateway_previous_until",
            "required with sms_gateway_previous_secret",
        ),
        (
            {
                "sms_gateway_previous_secret": "p" * 16,
                "sms_gateway_previous_until": "2025-10-08T03:00:00Z",
            },
            "sms_gateway_previous_until",
            "needs sms_gateway_secret",
        ),
        (
            {
                "sms_gateway_secret": "s" * 16,
                "sms_gateway_previous_secret": "p" * 16,
                "sms_gateway_previous_until": "2025-10-08T03:00:00",
            },
            "sms_gateway_previous_until",
            "time zone",
        ),
    ],
)
def test_incomplete_or_unsafe_settings_name_the_setting(
    given: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(WrongType) as raised:
        load_settings(**given)
    assert raised.value.field == field
    assert words in raised.value.message


def test_a_previous_secret_with_its_end() -> None:
    settings = load_settings(
        sms_gateway_secret="the-current-secret",
        sms_gateway_previous_secret="the-previous-secret",
        sms_gateway_previous_until="2025-10-08T03:00:00+00:00",
    )
    assert settings.sms_gateway_previous_until == datetime(2025, 10, 8, 3, tzinfo=UTC)
