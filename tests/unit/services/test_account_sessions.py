"""Session tokens: the short in-process cache in front of the store, and what bypasses it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import sessions
from ballroom.bootstrap import App, bootstrap
from ballroom.errors import InvalidToken, TokenExpired
from ballroom.services.ports import FixedClock
from ballroom.settings import load_settings


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    clock = FixedClock(datetime(2025, 10, 8, tzinfo=UTC))
    wired = bootstrap(
        load_settings(db_url=f"sqlite:///{tmp_path / 'a.db'}", session_ttl_s=600),
        clock=clock,
        make_code=lambda: "123456",
    )
    yield wired
    wired.stop()


def _token(app: App) -> str:
    app.accounts.sign_up("fan@example.com", 30, "US")
    return app.accounts.verify("fan@example.com", "123456").token


def _clock(app: App) -> FixedClock:
    assert isinstance(app.clock, FixedClock)
    return app.clock


def test_a_checked_token_is_served_from_the_cache_for_a_few_seconds(app: App) -> None:
    token = _token(app)
    assert app.accounts.cached_principal(token) is None  # not checked yet
    who = app.accounts.authenticate(token)
    assert app.accounts.cached_principal(token) == who
    # Revoked behind this process's back (another server process): seen once the entry ages.
    with app.engine.begin() as connection:
        connection.execute(sessions.update().values(revoked_at=0.0))
    assert app.accounts.authenticate(token) == who
    _clock(app).advance(seconds=5)
    assert app.accounts.cached_principal(token) is None
    with pytest.raises(InvalidToken):
        app.accounts.authenticate(token)


def test_expiry_is_checked_on_every_cached_use(app: App) -> None:
    token = _token(app)
    app.accounts.authenticate(token)
    _clock(app).advance(seconds=599)
    app.accounts.authenticate(token)  # re-read just before expiry, cached again
    _clock(app).advance(seconds=1)
    assert app.accounts.cached_principal(token) is None
    with pytest.raises(TokenExpired):
        app.accounts.authenticate(token)


def test_log_out_evicts_at_once(app: App) -> None:
    token = _token(app)
    app.accounts.authenticate(token)
    app.accounts.log_out(token)
    assert app.accounts.cached_principal(token) is None
    with pytest.raises(InvalidToken):
        app.accounts.authenticate(token)


def test_forged_and_missing_tokens_never_reach_the_cache(app: App) -> None:
    token = _token(app)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "", None, "no-dot"):
        with pytest.raises(InvalidToken):
            app.accounts.authenticate(bad)
        assert app.accounts.cached_principal(bad) is None
    with app.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 1
