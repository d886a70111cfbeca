"""The development outbox is read through the account service, which decides who may."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ballroom.bootstrap import App, bootstrap
from ballroom.errors import Forbidden
from ballroom.services.accounts import Principal, Role
from ballroom.services.ports import FixedClock
from ballroom.settings import load_settings

PRODUCER = Principal(role=Role.PRODUCER, id="p1", name="Producer")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    wired = bootstrap(
        load_settings(db_url=f"sqlite:///{tmp_path / 'a.db'}"),
        clock=FixedClock(datetime(2025, 10, 8, tzinfo=UTC)),
        make_code=lambda: "123456",
    )
    yield wired
    wired.stop()


def test_a_producer_reads_the_outbox_newest_first(app: App) -> None:
    app.accounts.sign_up("fan@example.com", 30, "US")
    app.accounts.sign_up("other@example.com", 30, "US")
    messages = app.accounts.outbox_messages(PRODUCER, limit=1)
    assert [m["to"] for m in messages] == ["other@example.com"]
    assert "123456" in messages[0]["body"]


@pytest.mark.parametrize("role", [Role.VOTER, Role.JUDGE])
def test_no_one_else_may(app: App, role: Role) -> None:
    with pytest.raises(Forbidden):
        app.accounts.outbox_messages(Principal(role=role, id="x", name="X"))
