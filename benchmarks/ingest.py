"""Run ``ballroom bench ingest`` several times per store and print the median figures.

Usage: .venv/bin/python benchmarks/ingest.py [--votes N] [--runs R] [--batch B] [--commit C]
[--no-peers] [--phones P]
Needs the PostgreSQL server of tests/conftest.py for the postgresql rows and, unless
``--no-peers``, the Redis at 127.0.0.1:6379 for the peer rows (each run also measures the
peers of ``ballroom bench ingest --peers`` on the same texts). Profile a run with
``py-spy record -o out.txt -f raw --threads -- .venv/bin/ballroom bench ingest``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from ballroom_bench.ingest import DEFAULT_POSTGRES, _scratch_store, run_ingest
from ballroom_bench.peers import DEFAULT_REDIS, check_peers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--commit", type=int, default=10_000)
    parser.add_argument("--phones", type=int, default=None)
    parser.add_argument("--no-peers", action="store_true")
    args = parser.parse_args()
    peers = (
        None if args.no_peers else {"redis_url": DEFAULT_REDIS, "postgres_url": DEFAULT_POSTGRES}
    )
    if peers is not None:
        check_peers(peers["redis_url"], peers["postgres_url"])
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    for store in ("sqlite", "postgresql"):
        reports: list[dict[str, Any]] = []
        options: dict[str, Any] = {
            "votes": args.votes,
            "batch": args.batch,
            "commit": args.commit,
            "phones": args.phones,
            "peers": peers,
        }
        for _ in range(args.runs):
            if store == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    url = f"sqlite:///{Path(folder) / 'bench.db'}"
                    reports.append(run_ingest(url, **options))
            else:
                with _scratch_store("postgresql", DEFAULT_POSTGRES) as url:
                    reports.append(run_ingest(url, **options))
            print(f"load average after run: {os.getloadavg()}")
        for report in reports:
            print(json.dumps(report))
        median: dict[str, Any] = {
            key: statistics.median(float(r[key]) for r in reports)
            for key in ("votes_per_s", "ratio", "p50_ms", "p99_ms")
        }
        median["baseline_rows_per_s"] = statistics.median(
            float(r["baseline"]["rows_per_s"]) for r in reports
        )
        if peers is not None:
            median["peers_votes_per_s"] = {
                peer["name"]: statistics.median(
                    float(p["votes_per_s"])
                    for r in reports
                    for p in r["peers"]
                    if p["name"] == peer["name"]
                )
                for peer in reports[0]["peers"]
            }
            median["vs_peers"] = {
                name: statistics.median(float(r["vs_peers"][name]) for r in reports)
                for name in reports[0]["vs_peers"]
            }
            median["peers_agree_every_run"] = all(r["peers_agree"] for r in reports)
        print(f"{store} median of {args.runs}: {json.dumps(median)}")
        print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
