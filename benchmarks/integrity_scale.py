"""Scale benchmark of the integrity analysis (not a test): rows/s on a large generated night.

    .venv/bin/python benchmarks/integrity_scale.py --voters 1000000 [--parquet]

Generates a night (organic voters, farms, bots, one campaign), writes it, then times the
analysis stages separately: read (pyarrow -> numpy codes), cap-applied allocations, detectors.
Prints one JSON line with rows, seconds per stage, rows/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from ballroom.adapters.interchange import read_vote_table, write_vote_arrow
from ballroom.integrity.detectors import detect
from ballroom.integrity.electorate import Scenario, generate
from ballroom.integrity.tally import allocations


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=1_000_000)
    parser.add_argument("--parquet", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("night.parquet" if args.parquet else "night.csv")
        started = time.perf_counter()
        electorate = generate(
            Scenario(
                voters=args.voters,
                farms=max(4, args.voters // 2500),
                bots=max(1, args.voters // 10_000),
                seed=args.seed,
            )
        )
        rows = write_vote_arrow(path, electorate.table)
        del electorate
        generated = time.perf_counter() - started
        size = path.stat().st_size
        t0 = time.perf_counter()
        table = read_vote_table(path)
        t1 = time.perf_counter()
        alloc = allocations(table)
        t2 = time.perf_counter()
        findings = detect(table, alloc)
        t3 = time.perf_counter()
    analysis = t3 - t0
    print(
        json.dumps(
            {
                "voters": args.voters,
                "rows": rows,
                "format": path.suffix[1:],
                "file_mb": size >> 20,
                "generate_and_write_s": round(generated, 2),
                "read_s": round(t1 - t0, 2),
                "allocations_s": round(t2 - t1, 2),
                "detect_s": round(t3 - t2, 2),
                "analysis_s": round(analysis, 2),
                "rows_per_s": round(rows / analysis),
                "flagged": int(findings.flagged.sum()),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
            }
        )
    )


if __name__ == "__main__":
    main()
