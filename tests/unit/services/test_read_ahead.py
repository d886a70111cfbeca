"""``read_ahead``: the items in order from a producer thread, its error raised to the
reader, and an early stop that ends the producer and closes the source."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ballroom.services.read_ahead import read_ahead


def test_items_come_in_order() -> None:
    assert list(read_ahead(iter(range(100)), depth=2)) == list(range(100))
    assert list(read_ahead(iter([]))) == []


def test_the_producers_error_is_raised_to_the_reader_after_its_items() -> None:
    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disk gone")

    items = read_ahead(failing())
    assert [next(items), next(items)] == [1, 2]
    with pytest.raises(OSError, match="disk gone"):
        next(items)


def test_stopping_early_closes_the_source_in_the_producers_thread() -> None:
    closed_in: list[str] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed_in.append(threading.current_thread().name)

    items = read_ahead(endless(), depth=1)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert closed_in == ["read-ahead"]
    assert not any(t.name == "read-ahead" for t in threading.enumerate())
