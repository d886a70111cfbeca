"""The one typed settings object of ``ballroom serve`` and the services it wires.

Values come from, in rising priority: the defaults below, environment variables prefixed
``BALLROOM_`` (e.g. ``BALLROOM_DB_URL``, ``BALLROOM_PORT``), and command-line flags, which the
CLI passes as keyword arguments to :func:`load_settings`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ballroom.errors import WrongType

DEFAULT_DB_URL = "sqlite:///ballroom.db"


class Settings(BaseSettings):
    """Everything an operator can tune, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="BALLROOM_", extra="forbid", frozen=True)

    db_url: str = Field(DEFAULT_DB_URL, description="SQLAlchemy URL; SQLite file by default.")
    host: str = Field("127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(8000, ge=0, le=65535, description="TCP port (0 picks a free one).")
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
    sms_signature_tolerance_s: int = Field(
        300, ge=1, le=86_400, description="How old (or early) a signed SMS callback may be."
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
    code_attempts: int = Field(5, ge=1, le=100, description="Wrong codes before a code is void.")
    codes_per_hour: int = Field(5, ge=1, le=1000, description="Codes sent per address per hour.")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with ``overrides`` (CLI flags) winning; ``None`` is unset."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise WrongType(f"setting {where}: {first['msg']}", field=where) from error
