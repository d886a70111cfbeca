"""The collector settings shared by the commands that move many votes."""

from __future__ import annotations

import gc

from ballroom.cli._common import GC_THRESHOLDS, settle_heap, settled_heap


def test_settle_heap_freezes_what_is_alive_and_slows_young_collections() -> None:
    before = gc.get_threshold()
    kept = [[n] for n in range(1000)]  # alive now: must end up out of the collector's reach
    try:
        settle_heap()
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_settled_heap_gives_the_collector_back_as_it_was() -> None:
    before = gc.get_threshold()
    kept = [[n] for n in range(1000)]
    with settled_heap():
        assert gc.get_freeze_count() >= len(kept)
        assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_settled_heap_restores_the_collector_when_the_job_fails() -> None:
    before = gc.get_threshold()
    try:
        with settled_heap():
            raise RuntimeError("the job failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
