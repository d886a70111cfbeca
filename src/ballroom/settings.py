"""The one typed settings object of ``ballroom serve`` and the services it wires.

Values come from, in rising priority: the defaults below, environment variables prefixed
``BALLROOM_`` (e.g. ``BALLROOM_DB_URL``, ``BALLROOM_PORT``), and command-line flags, which the
CLI passes as keyword arguments to :func:`load_settings`.

Mail: ``mail_backend=outbox`` (the default) keeps sign-up codes in the development outbox;
``smtp`` sends them through the relay ``smtp_host``/``smtp_port`` as ``smtp_from``, over
STARTTLS (``smtp_tls=starttls``, port 587 by default), implicit TLS (``tls``, 465) or in clear
to a local relay (``none``, 25), logging in when ``smtp_username`` is set (never in clear).

SMS gateway secret: ``sms_gateway_secret``, when set, is the current secret and the store's
(rotated with ``ballroom sms secret --rotate``) is not used; such a secret is rotated here, by
setting the new one and keeping the old one accepted as ``sms_gateway_previous_secret`` until
``sms_gateway_previous_until``.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ballroom.errors import WrongType

DEFAULT_DB_URL = "sqlite:///ballroom.db"


class Settings(BaseSettings):
    """Everything an operator can tune, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="BALLROOM_", extra="forbid", frozen=True)

    db_url: str = Field(DEFAULT_DB_URL, description="SQLAlchemy URL; SQLite file by default.")
    host: str = Field("127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a connection has to send a request's line and headers (else 408).",
    )
    body_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="Seconds a request has to send its whole body (else 408)."
    )
    max_connections: int = Field(
        2048,
        ge=1,
        le=1_000_000,
        description="Connections `ballroom serve` holds at once; past it, requests get a 503.",
    )
    secret_key: str | None = Field(
        None,
        min_length=16,
        description="Signs session tokens; generated once and kept in the store when unset.",
    )
    sms_gateway_secret: str | None = Field(
        None,
        min_length=16,
        description="Shared with the SMS aggregator, which signs each callback with it; "
        "generated once and kept in the store when unset (`ballroom sms secret` prints it).",
    )
    sms_gateway_previous_secret: str | None = Field(
        None,
        min_length=16,
        description="With sms_gateway_secret: the secret it replaced, still accepted until "
        "sms_gateway_previous_until while the aggregator switches over.",
    )
    sms_gateway_previous_until: datetime | None = Field(
        None,
        validate_default=True,
        description="When sms_gateway_previous_secret stops being accepted (ISO 8601, zoned).",
    )
    sms_signature_tolerance_s: int = Field(
        300, ge=1, le=86_400, description="How old (or early) a signed SMS callback may be."
    )
    sms_number: str | None = Field(
        None,
        min_length=3,
        max_length=32,
        description="The number viewers text a couple's keyword to, shown on the vote page "
        "(e.g. a short code); without it the page names the keywords only.",
    )
    photos_dir: str | None = Field(
        None,
        min_length=1,
        description="A folder of couple photos named after the couple's id (robert.jpg, "
        ".jpeg, .png or .webp), shown on the vote page; a couple without one shows initials.",
    )
    cap: int = Field(10, ge=1, le=1000, description="Votes per couple per method per voter.")
    group_commit_ms: float = Field(
        2.0, ge=0.0, le=1000.0, description="How long a commit waits to gather more votes."
    )
    batch_size: int = Field(4096, ge=1, le=1_000_000, description="Most votes per commit.")
    partitions: int = Field(8, ge=1, le=1024, description="Voter partitions owning cap state.")
    body_limit_bytes: int = Field(
        1_048_576, ge=1024, description="Largest request body the API accepts."
    )
    session_ttl_s: int = Field(12 * 3600, ge=60, description="How long a login lasts.")
    code_ttl_s: int = Field(900, ge=60, description="How long an emailed code is valid.")
    code_attempts: int = Field(
        5, ge=1, le=100, description="Wrong codes per address and client within a code's life."
    )
    codes_per_hour: int = Field(
        5, ge=1, le=1000, description="Codes sent per address and client per hour."
    )
    mail_backend: Literal["outbox", "smtp"] = Field(
        "outbox",
        description="outbox: keep mail in the development outbox; smtp: send it via smtp_host.",
    )
    smtp_host: str = Field("localhost", min_length=1, description="The mail relay's host name.")
    smtp_port: int | None = Field(
        None, ge=1, le=65535, description="The relay's port; by smtp_tls: 587, 465 or 25."
    )
    smtp_tls: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        description="starttls: upgrade the connection; tls: implicit TLS from the first byte; "
        "none: in clear, for a relay on this host or network only.",
    )
    smtp_username: str | None = Field(
        None, min_length=1, description="Log in to the relay as this user (needs TLS)."
    )
    smtp_password: SecretStr | None = Field(
        None, validate_default=True, description="The relay password of smtp_username."
    )
    smtp_from: str | None = Field(
        None,
        validate_default=True,
        max_length=254,
        description="The sender address, e.g. 'Ballroom <no-reply@example.com>' (smtp only).",
    )
    smtp_timeout_s: float = Field(
        10.0, gt=0.0, le=120.0, description="Seconds any one step with the relay may take."
    )
    smtp_ca_file: str | None = Field(
        None,
        min_length=1,
        description="PEM file of the CAs trusted for the relay's certificate (default: the "
        "system's).",
    )

    # Cross-field checks as field validators, so an error names the setting at fault. Each
    # field is validated after the fields declared above it, which ``info.data`` holds.

    @field_validator("sms_gateway_previous_until")
    @classmethod
    def _previous_secret_has_an_end(
        cls, until: datetime | None, info: ValidationInfo
    ) -> datetime | None:
        previous = info.data.get("sms_gateway_previous_secret")
        if previous is not None and until is None:
            raise ValueError("required with sms_gateway_previous_secret")
        if previous is not None and info.data.get("sms_gateway_secret") is None:
            raise ValueError("sms_gateway_previous_secret needs sms_gateway_secret")
        if until is not None and until.tzinfo is None:
            raise ValueError("must carry a time zone (e.g. 2025-10-08T03:00:00Z)")
        return until

    @field_validator("smtp_password")
    @classmethod
    def _login_is_complete_and_encrypted(
        cls, password: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        username = info.data.get("smtp_username")
        if (username is None) != (password is None):
            raise ValueError("smtp_username and smtp_password go together")
        if username is not None and info.data.get("smtp_tls") == "none":
            raise ValueError("a password is never sent in clear: set smtp_tls to starttls or tls")
        return password

    @field_validator("smtp_from")
    @classmethod
    def _sender_is_an_address(cls, sender: str | None, info: ValidationInfo) -> str | None:
        if sender is None:
            if info.data.get("mail_backend") == "smtp":
                raise ValueError("required when mail_backend is smtp")
            return None
        _, address = parseaddr(sender)
        if "@" not in address:
            raise ValueError("must be an address such as no-reply@example.com")
        return sender


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (CLI flags) winning; ``None`` is unset."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise WrongType(f"setting {where}: {first['msg']}", field=where) from error
