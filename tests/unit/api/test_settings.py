"""The one settings object: defaults, BALLROOM_ environment, CLI overrides, bad values."""

from __future__ import annotations

import pytest

from ballroom.errors import WrongType
from ballroom.settings import Settings, load_settings


def test_defaults() -> None:
    settings = Settings()
    assert settings.db_url == "sqlite:///ballroom.db"
    assert (settings.host, settings.port, settings.cap) == ("127.0.0.1", 8000, 10)


def test_environment_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALLROOM_PORT", "9100")
    monkeypatch.setenv("BALLROOM_DB_URL", "sqlite:///env.db")
    assert load_settings().port == 9100
    assert load_settings(port=9200, db_url=None).port == 9200
    assert load_settings(db_url=None).db_url == "sqlite:///env.db"


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WrongType) as raised:
        load_settings(port=70000)
    assert raised.value.field == "port"
    monkeypatch.setenv("BALLROOM_CAP", "ten")
    with pytest.raises(WrongType) as raised:
        load_settings()
    assert raised.value.field == "cap"
    with pytest.raises(WrongType):
        load_settings(secret_key="short")
