"""The read's floor (not a test): pyarrow reading a night's Parquet file and nothing else.

    .venv/bin/python benchmarks/integrity_read_floor.py night.parquet --dictionary none
    .venv/bin/python benchmarks/integrity_read_floor.py night.parquet --dictionary repeated
    .venv/bin/python benchmarks/integrity_read_floor.py night.parquet --dictionary all

``pq.read_table`` of the columns the analysis reads (every interchange column), pyarrow's own
threads, no conversion and no check: what ``read_vote_table`` cannot go below. String columns
are read as plain strings (``none``), as dictionaries where the file has dictionary pages
(``repeated``: all but the ballot ids, as the integrity reader asks), or all as dictionaries
(``all``). ``--one-thread``: ``use_threads=False``. ``--retained``: inside
``analysis.retained_memory`` (glibc's heap, as the analysis reads). Run each in its own
process; prints one JSON line with wall and CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import time
from pathlib import Path

import pyarrow.parquet as pq

from ballroom.adapters.interchange import COLUMNS
from ballroom.integrity.analysis import retained_memory

_STRINGS = ("ballot_id", "window", "voter", "channel", "couple", "email", "phone", "ip", "device")
_DICTIONARY = {
    "none": [],
    "repeated": [name for name in _STRINGS if name != "ballot_id"],
    "all": list(_STRINGS),
}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--dictionary", choices=sorted(_DICTIONARY), default="repeated")
    parser.add_argument("--one-thread", action="store_true")
    parser.add_argument("--retained", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    context = retained_memory() if args.retained else contextlib.nullcontext()
    with context:
        cpu0, started = _cpu_s(), time.perf_counter()
        table = pq.read_table(
            args.file,
            columns=list(COLUMNS),
            read_dictionary=_DICTIONARY[args.dictionary],
            use_threads=not args.one_thread,
        )
        wall, cpu = time.perf_counter() - started, _cpu_s() - cpu0
        rows = table.num_rows
        del table
    print(
        json.dumps(
            {
                "dictionary": args.dictionary,
                "threads": not args.one_thread,
                "retained": args.retained,
                "rows": rows,
                "read_s": round(wall, 2),
                "read_cpu_s": round(cpu, 2),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
                "load_average_1m": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
