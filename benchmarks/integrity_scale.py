"""Scale benchmark of the integrity analysis (not a test): rows/s on a large generated night.

    .venv/bin/python benchmarks/integrity_scale.py --voters 1000000 [--parquet] [--keep PATH]
    .venv/bin/python benchmarks/integrity_scale.py --file night.parquet   # memory of the analysis
    .venv/bin/python benchmarks/integrity_scale.py --voters 14500000 --shards 10 --keep big.parquet
    .venv/bin/python benchmarks/integrity_scale.py --repack big.parquet --one-row-group --keep 1.pq

Generates a night (organic voters, farms, bots, one campaign) and writes it (Parquet as
``ballroom simulate`` writes it: one row group, dictionary pages but for ballot ids), or takes
an existing file, then times the analysis stages separately as ``analysis.analyze_file``
runs them (inside ``retained_memory``): read (file -> numpy codes), groundwork (cap-applied
allocations and the texters' signals beside the identity strings' work), detectors (the
report's extras, voter and ballot counts and timeline, beside them; what they took beyond
the detectors is ``report_after_detect_s``). ``--shards N`` generates the night in N
independent parts (``electorate.generate_shards``) appended as row groups, so that a 100 M-row
night needs the memory of one part (the reader takes such a file as it is: no repack needed).
Prints one JSON line with rows, seconds per stage, rows/s, peak RSS and the machine's cores
and load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq

from ballroom.adapters.interchange import read_vote_table, write_vote_arrow, write_vote_parts
from ballroom.integrity.analysis import groundwork, report_extras, retained_memory
from ballroom.integrity.detectors import detect
from ballroom.integrity.electorate import Scenario, generate, generate_shards
from ballroom.integrity.heap import release_freed

_DICTIONARY = ["window", "voter", "channel", "couple", "email", "phone", "ip", "device"]


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10


def _generate(
    voters: int, seed: int, path: Path, shards: int = 0, one_row_group: bool = False
) -> float:
    started = time.perf_counter()
    scenario = Scenario(
        voters=voters, farms=max(4, voters // 2500), bots=max(1, voters // 10_000), seed=seed
    )
    if shards:
        write_vote_parts(path, generate_shards(scenario, shards), one_row_group=one_row_group)
    else:
        write_vote_arrow(path, generate(scenario).table)
    return time.perf_counter() - started


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _analyse(path: Path) -> dict[str, float | int]:
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    table = read_vote_table(path)  # as analysis.analyze_file (phones: the SMS detector)
    t1 = time.perf_counter()
    read_mb = _peak_mb()
    release_freed()  # as analysis.analyze_file
    # As analysis.analyze: the identity strings' work beside the allocations and the
    # texters (three threads).
    prepared = groundwork(table)
    alloc = prepared.alloc
    release_freed()  # as analysis.analyze
    t2 = time.perf_counter()
    # As analysis.analyze: the report's counts and chart beside the detectors.
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted = pool.submit(report_extras, table, alloc)
        findings = detect(table, alloc, identities=prepared.identities, texting=prepared.texting)
        t3 = time.perf_counter()
        voters = counted.result().voters
    del prepared
    t4 = time.perf_counter()
    rows = len(table)
    return {
        "rows": rows,
        "voters": voters,
        "read_s": round(t1 - t0, 2),
        "groundwork_s": round(t2 - t1, 2),
        "detect_s": round(t3 - t2, 2),
        "report_after_detect_s": round(t4 - t3, 2),  # what the extras took beyond detect
        "analysis_s": round(t4 - t0, 2),
        # CPU seconds, both threads, user + system: steadier than wall time on a shared box.
        "analysis_cpu_s": round(_cpu_s() - cpu0, 2),
        "rows_per_s": round(rows / (t4 - t0)),
        "flagged": int(findings.flagged.sum()),
        "peak_rss_after_read_mb": read_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--parquet", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shards", type=int, default=0, help="generate in parts (Parquet)")
    parser.add_argument(
        "--one-row-group", action="store_true", help="with --shards or --repack: one row group"
    )
    parser.add_argument("--repack", type=Path, help="rewrite this Parquet file to --keep, then")
    parser.add_argument("--file", type=Path, help="analyse this file instead of generating one")
    parser.add_argument("--keep", type=Path, help="write the generated night here and keep it")
    args = parser.parse_args()
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = args.file or args.keep
        if path is None:
            path = Path(folder) / ("night.parquet" if args.parquet else "night.csv")
        if args.repack is not None:
            started = time.perf_counter()
            source = pq.ParquetFile(args.repack, read_dictionary=_DICTIONARY)
            groups = (source.read_row_group(i) for i in range(source.num_row_groups))
            write_vote_parts(path, groups, one_row_group=args.one_row_group)
            result["repack_s"] = round(time.perf_counter() - started, 2)
        elif args.file is None:
            result["generate_and_write_s"] = round(
                _generate(args.voters, args.seed, path, args.shards, args.one_row_group), 2
            )
        result |= {
            "format": path.suffix[1:],
            "file_mb": path.stat().st_size >> 20,
            "cores": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine
        }
        with retained_memory():  # as analyze_file does
            result |= _analyse(path)
    # With --file this is the analysis alone; after generating, the generator's peak counts too.
    result["peak_rss_mb"] = _peak_mb()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
