"""Fixtures shared by the vote-store integration tests: a migrated store, ballot ids that
collide on demand, and a way to park the writer so queued commands form one group."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.services.voting import VotingService


class CollidingIds:
    """Ballot ids that repeat the previous one on demand: a real unique-index violation."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.repeat_next = False
        self._last = ""

    def new_id(self) -> str:
        if self.repeat_next and self._last:
            self.repeat_next = False
            return self._last
        self._last = f"b-{next(self._counter)}"
        return self._last


HoldWriter = Callable[[VotingService], tuple[threading.Event, threading.Thread]]


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """A migrated store, once on SQLite and once on PostgreSQL."""
    engine = create_engine_for(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def colliding_ids() -> CollidingIds:
    return CollidingIds()


def _hold(service: VotingService) -> tuple[threading.Event, threading.Thread]:
    """Park the writer thread in an admin action until the event is set, so the commands
    queued meanwhile reach it together (and the second is checked while the first commits)."""
    release = threading.Event()
    parked = threading.Event()

    def park() -> None:
        parked.set()
        release.wait(10)

    thread = threading.Thread(target=service._writer.run_admin, args=(park,))
    thread.start()
    assert parked.wait(10)
    return release, thread


@pytest.fixture
def hold_writer() -> HoldWriter:
    return _hold
