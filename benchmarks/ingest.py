"""Run ``ballroom bench ingest`` several times per store and print the median figures.

Usage: .venv/bin/python benchmarks/ingest.py [--votes N] [--runs R] [--batch B] [--commit C]
Needs the PostgreSQL server of tests/conftest.py for the postgresql rows. Profile a run with
``py-spy record -o out.txt -f raw --threads -- .venv/bin/ballroom bench ingest``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from ballroom.cli.bench import DEFAULT_POSTGRES, _scratch_store, run_ingest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--commit", type=int, default=10_000)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    for store in ("sqlite", "postgresql"):
        reports = []
        for _ in range(args.runs):
            if store == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    url = f"sqlite:///{Path(folder) / 'bench.db'}"
                    reports.append(
                        run_ingest(url, votes=args.votes, batch=args.batch, commit=args.commit)
                    )
            else:
                with _scratch_store("postgresql", DEFAULT_POSTGRES) as url:
                    reports.append(
                        run_ingest(url, votes=args.votes, batch=args.batch, commit=args.commit)
                    )
        for report in reports:
            print(json.dumps(report))
        median = {
            key: statistics.median(float(r[key]) for r in reports)  # type: ignore[arg-type]
            for key in ("votes_per_s", "ratio", "p50_ms", "p99_ms")
        }
        median["baseline_rows_per_s"] = statistics.median(
            float(r["baseline"]["rows_per_s"]) for r in reports
        )
        print(f"{store} median of {args.runs}: {json.dumps(median)}")
        print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
