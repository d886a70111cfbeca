"""Rebuilding SQLite's receipt sidecar from the log, and lookups through it (not a test).

    .venv/bin/python benchmarks/receipt_rebuild.py --votes 400000 --runs 2

Fills a scratch SQLite store through the bulk path (``ballroom bench ingest``'s run), then per
run deletes the sidecar and times ``SidecarReceiptIndex.catch_up()`` (wall and process CPU), and
finally times lookups of a receipt that is indexed and of one that is not (a miss scans the log
rows above each window's mark). One JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from ballroom_bench.ingest import run_ingest

from ballroom.adapters.db import create_engine_for
from ballroom.adapters.receipt_index import SidecarReceiptIndex, remove_sidecar, sidecar_path

LOOKUPS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--votes", type=int, default=400_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ballroom-receipts-") as folder:
        store = Path(folder) / "night.db"
        run_ingest(f"sqlite:///{store}", votes=args.votes, batch=2000)
        engine = create_engine_for(f"sqlite:///{store}")
        sidecar = sidecar_path(store)
        index = SidecarReceiptIndex(engine, sidecar)
        for run in range(1, args.runs + 1):
            remove_sidecar(sidecar)
            index = SidecarReceiptIndex(engine, sidecar)  # a fresh process's view: unchecked
            started, cpu = time.perf_counter(), time.process_time()
            added = index.catch_up()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                json.dumps(
                    {
                        "run": run,
                        "rows": added,
                        "wall_s": round(wall, 3),
                        "rows_per_s": round(added / wall),
                        "cpu_us_per_row": round(cpu / added * 1e6, 2),
                        "sidecar_mb": round(sidecar.stat().st_size / 1e6, 1),
                        "store_mb": round(store.stat().st_size / 1e6, 1),
                    }
                )
            )
        with engine.connect() as connection:
            indexed = connection.execute(sa.text("SELECT hash FROM vote_log LIMIT 1")).scalar_one()
        for name, receipt in (("hit", str(indexed)), ("miss", "0" * 64)):
            started = time.perf_counter()
            for _ in range(LOOKUPS):
                index.locate(receipt)
            each = (time.perf_counter() - started) / LOOKUPS
            print(json.dumps({"lookup": name, "ms": round(each * 1e3, 3)}))
        engine.dispose()


if __name__ == "__main__":
    main()
