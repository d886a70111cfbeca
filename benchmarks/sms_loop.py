"""The writer's per-text SMS check alone, no store write, no threads (not a test).

    .venv/bin/python benchmarks/sms_loop.py --texts 200000 --runs 3
    # instructions, repeatable on a shared box (valgrind counts; the loop runs inside
    # functools.reduce so that only it is collected):
    N=20000; valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \\
        .venv/bin/python benchmarks/sms_loop.py --texts $N --runs 2
    # then: instructions / (N * 2) = instructions per text

The texts of ``ballroom bench ingest`` (texts/6 senders, 8 keywords), in gateway requests of
2,000, go through the writer's ``_sms`` (the batch's key, then ``VoteRules.texts`` in one
call per request: sender, keyword, cap, hash chain, the row, the receipt and the outcome) into
fresh batches, the caps emptied before each run, with the
collector as ``ballroom serve`` sets it. Prints CPU microseconds per text for each run.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from pathlib import Path
from typing import Any

from ballroom_bench.ingest import COUPLES, _messages

from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.vote_pipeline import _Batch, _SmsCmd
from ballroom.bootstrap import voting_service
from ballroom.cli._common import settled_heap
from ballroom.services.ports import SystemClock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine_for(f"sqlite:///{Path(scratch) / 'loop.db'}")
        upgrade(engine)
        texts = _messages(args.texts)
        service = voting_service(engine, SystemClock(), batch_size=10_000, group_commit_ms=0)
        with service, settled_heap():
            service.create_window("bench", {c: c.upper() for c in COUPLES})
            service.open_window("bench")
            writer = service._writer  # the benchmark measures its inner loop
            commands = [
                _SmsCmd(texts[i : i + 2000], f"loop-{i}", None, None)
                for i in range(0, len(texts), 2000)
            ]
            now_us = writer._now_us()

            def check(_: Any, command: _SmsCmd) -> None:
                writer._sms(command, _Batch(), {}, now_us)

            for _ in range(args.runs):
                for book in writer.books:
                    book.sms.clear()
                started = time.thread_time()
                functools.reduce(check, commands, None)
                spent = time.thread_time() - started
                print(f"{spent * 1e6 / len(texts):.2f} us of CPU per text", flush=True)
        engine.dispose()


if __name__ == "__main__":
    main()
