"""An iterator consumed by a thread of its own, a few items ahead of its reader.

The export reads the log in Arrow batches that the store's driver fills without holding the
GIL: reading the next batch on a second core while the current one is converted and written
overlaps the two. At most ``depth`` items wait in between, so memory stays a few batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_WAIT_S = 0.1  # how often a blocked producer checks whether the reader has stopped


class _Done:
    """What the producer puts last: nothing more, or the error that stopped it."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def read_ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """``items`` in order, produced by a thread up to ``depth`` ahead; the producer's error
    is raised here. Closing this iterator early stops the producer and closes ``items``
    (in the producer's thread, the only one that touches it)."""
    handoff: queue.Queue[T | _Done] = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def produce() -> None:
        done = _Done()
        try:
            for item in items:
                while not stopped.is_set():
                    try:
                        handoff.put(item, timeout=_WAIT_S)
                        break
                    except queue.Full:
                        continue
                if stopped.is_set():
                    break
        except BaseException as error:  # handed to the reader, which raises it
            done = _Done(error)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        while not stopped.is_set():
            try:
                handoff.put(done, timeout=_WAIT_S)
                return
            except queue.Full:
                continue

    producer = threading.Thread(target=produce, name="read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            item = handoff.get()
            if isinstance(item, _Done):
                if item.error is not None:
                    raise item.error
                return
            yield item
    finally:
        stopped.set()
        producer.join()
