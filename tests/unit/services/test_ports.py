"""The identifier port's real implementation."""

from __future__ import annotations

import threading

from ballroom.services.ports import ProcessIds


def test_process_ids_are_the_prefix_and_a_counter() -> None:
    ids = ProcessIds("night")
    assert [ids.new_id() for _ in range(3)] == ["night-1", "night-2", "night-3"]


def test_two_processes_draw_different_prefixes() -> None:
    first, second = ProcessIds(), ProcessIds()
    assert first.prefix != second.prefix
    assert len(first.prefix) == 24
    assert first.new_id().startswith(f"{first.prefix}-")


def test_ids_stay_unique_when_threads_draw_them_at_once() -> None:
    ids = ProcessIds("t")
    drawn: list[list[str]] = [[] for _ in range(4)]

    def draw(into: list[str]) -> None:
        into.extend(ids.new_id() for _ in range(20_000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [one for into in drawn for one in into]
    assert len(set(every)) == len(every) == 80_000
    assert {int(one.split("-")[1]) for one in every} == set(range(1, 80_001))
