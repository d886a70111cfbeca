"""Session tokens: the short in-process cache in front of the store, and what bypasses it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from ballroom.adapters.db.schema_accounts import sessions
from ballroom.bootstrap import App, bootstrap
from ballroom.errors import InvalidToken, TokenExpired
from ballroom.services.accounts import Principal, _refresh_point
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


def test_a_read_in_flight_when_the_token_is_logged_out_caches_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: a request's store read finds the session valid, the logout commits and
    evicts, then the read finishes. Before, it cached the token again for up to 5 s."""
    token = _token(app)
    accounts = app.accounts
    real_read = accounts._read_session
    read_done, logged_out = threading.Event(), threading.Event()
    calls = 0

    def read_then_wait(bearer: str | None) -> tuple[Principal, float]:
        nonlocal calls
        calls += 1
        found = real_read(bearer)
        if calls == 1:  # the racing request's read; the logout's own reads pass straight on
            read_done.set()
            assert logged_out.wait(10)
        return found

    monkeypatch.setattr(accounts, "_read_session", read_then_wait)
    outcome: list[Exception | Principal] = []

    def request() -> None:
        try:
            outcome.append(accounts.authenticate(token))
        except Exception as error:  # the outcome is asserted below
            outcome.append(error)

    racing = threading.Thread(target=request)
    racing.start()
    assert read_done.wait(10)
    accounts.log_out(token)
    logged_out.set()
    racing.join(10)
    assert isinstance(outcome[0], InvalidToken)  # the store revoked it before the answer
    assert accounts.cached_principal(token) is None
    with pytest.raises(InvalidToken):
        accounts.authenticate(token)


def test_logged_out_tokens_are_remembered_for_a_minute_only(app: App) -> None:
    first = _token(app)
    app.accounts.sign_up("other@example.com", 30, "US")
    second = app.accounts.verify("other@example.com", "123456").token
    app.accounts.log_out(first)
    _clock(app).advance(seconds=61)
    app.accounts.log_out(second)
    assert list(app.accounts._logged_out) == [second]  # the memory stays small
    for token in (first, second):  # the store refuses both all the same
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


def test_a_token_in_use_is_re_read_ahead_once_and_a_revoke_is_still_seen_in_time(app: App) -> None:
    token = _token(app)
    app.accounts.authenticate(token)
    assert not app.accounts.refresh_due(token)  # just read
    _clock(app).advance(seconds=4.6)  # past every token's refresh point (at most 0.9 of 5 s)
    assert app.accounts.refresh_due(token)
    assert not app.accounts.refresh_due(token)  # claimed: one re-read at a time
    with app.engine.begin() as connection:
        connection.execute(sessions.update().values(revoked_at=0.0))
    app.accounts.refresh_session(token)
    assert app.accounts.cached_principal(token) is None
    with pytest.raises(InvalidToken):
        app.accounts.authenticate(token)


def test_a_re_read_keeps_a_token_in_use_cached(app: App) -> None:
    token = _token(app)
    who = app.accounts.authenticate(token)
    _clock(app).advance(seconds=4.6)
    assert app.accounts.refresh_due(token)
    app.accounts.refresh_session(token)
    _clock(app).advance(seconds=4.0)  # 8.6 s after the first read, 4 s after the re-read
    assert app.accounts.cached_principal(token) == who
    _clock(app).advance(seconds=1.0)
    assert app.accounts.cached_principal(token) is None  # never past 5 s after the last read


def test_a_token_not_cached_is_never_due(app: App) -> None:
    token = _token(app)
    assert not app.accounts.refresh_due(token)
    assert app.accounts.cached_principal(token) is None


def test_refresh_points_are_spread_over_the_tokens() -> None:
    points = [_refresh_point(f"token-{n}") for n in range(200)]
    assert all(0.5 <= point < 0.9 for point in points)
    assert max(points) - min(points) > 0.3  # not all re-read together
