"""Scale benchmark of a night's import, export and verify (not a test), at finale size.

    .venv/bin/python benchmarks/verify_scale.py                      # ≈ 14 M entries, 20 M rows
    .venv/bin/python benchmarks/verify_scale.py --voters 300000 --shards 2 \
        --baseline-src /path/to/older/checkout/src                   # old and new side by side

Generates a night in ``--shards`` independent parts (``electorate.generate_shards``, as
benchmarks/integrity_scale.py does), written as two Parquet files, its web ballots and its
texts; then runs the real commands, each in its own process (wall time, CPU time and peak RSS
of that process alone):

1. ``ballroom import`` of the web ballots (the rows/s target), then of the texts, into SQLite;
2. ``ballroom export --format csv`` and ``--format parquet``;
3. ``ballroom verify`` of each export;
4. the floors, in this process: a plain ``sha256`` over each votes file's bytes (reading
   included), and over the canonical entries verify hashes, once as one stream (the physical
   floor) and once as the chain (one ``sha256`` per entry, each over the previous hash and the
   entry: what the construction costs above the floor).

With ``--baseline-src`` the same import, export and verify steps run a second time with that
checkout's code (``PYTHONPATH``), interleaved with ours, against their own store. Prints one
JSON line; the machine's load average is in it (the figures are wall times on a shared box).
"""

from __future__ import annotations

import argparse
import binascii
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from ballroom.adapters.ballot_batches import read_ballot_batches
from ballroom.adapters.interchange import COLUMNS
from ballroom.integrity.electorate import Scenario, generate_shards
from ballroom.services.verification import canonical_entries

FINALE_VOTERS = 2_830_000  # ≈ 14 M log entries, 20 M rows, 80 M votes with the default mix
_CLI = "from ballroom.cli import main; main()"


def _generate(voters: int, shards: int, seed: int, folder: Path) -> dict[str, Any]:
    scenario = Scenario(
        voters=voters, farms=max(4, voters // 2500), bots=max(1, voters // 10_000), seed=seed
    )
    started = time.perf_counter()
    writers: dict[str, Any] = {}
    rows = dict.fromkeys(("web", "sms"), 0)
    votes = 0
    try:
        for generated in generate_shards(scenario, shards):
            part = generated.select(list(COLUMNS))
            votes += int(pc.sum(part.column("votes")).as_py() or 0)
            for channel in ("web", "sms"):
                chosen = part.filter(pc.equal(part.column("channel"), channel))
                if channel not in writers:
                    writers[channel] = pq.ParquetWriter(
                        folder / f"{channel}.parquet", chosen.schema
                    )
                writers[channel].write_table(chosen)
                rows[channel] += chosen.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    return {
        "generate_s": round(time.perf_counter() - started, 1),
        "web_rows": rows["web"],
        "sms_rows": rows["sms"],
        "votes": votes,
    }


def _timed(args: list[str], src: str | None = None) -> dict[str, Any]:
    """One command in its own process: wall time, and with wait4 the CPU seconds and peak RSS
    of that process alone."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen([sys.executable, "-c", _CLI, *args], stdout=out, stderr=err,
                                   env=env)  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {code}: {stderr.strip()[-2000:]}")
    return {
        "rc": code,
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": usage.ru_maxrss >> 10,
        "stdout": stdout,
    }


def _sha256_file(path: Path) -> float:
    started = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 << 20):
            digest.update(block)
    return round(time.perf_counter() - started, 1)


def _chain_floor(votes: Path) -> dict[str, Any]:
    """Over the canonical entries verify hashes: one sha256 of them all (the floor) and the
    chain (one sha256 per entry over the previous hash and the entry), timed apart."""
    stream_s = chain_s = 0.0
    entries = size = 0
    prev = b"0" * 64
    sha256, hexlify = hashlib.sha256, binascii.hexlify
    whole = sha256()
    for batch in read_ballot_batches(votes):
        ordered = batch.sorted_by_couple()
        payloads = canonical_entries(ordered, batch.first_entry + 1)
        started = time.perf_counter()
        for payload in payloads:
            whole.update(payload)
        stream_s += time.perf_counter() - started
        started = time.perf_counter()
        for payload in payloads:
            digest = sha256(prev)
            digest.update(payload)
            prev = hexlify(digest.digest())
        chain_s += time.perf_counter() - started
        entries += len(payloads)
        size += sum(map(len, payloads))
    return {
        "entries": entries,
        "entry_bytes_mb": size >> 20,
        "sha256_stream_s": round(stream_s, 1),
        "chain_loop_s": round(chain_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=FINALE_VOTERS)
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="folder for the night, stores and exports")
    parser.add_argument("--baseline-src", help="an older checkout's src: run its steps too")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="verify-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"voters": args.voters, "cores": os.cpu_count()}
    loads = [os.getloadavg()[0]]
    try:
        result |= _generate(args.voters, args.shards, args.seed, work)
        print(json.dumps(result), file=sys.stderr)
        sides = {"new": None} | ({"baseline": args.baseline_src} if args.baseline_src else {})
        for side, src in sides.items():
            db = f"sqlite:///{work / (side + '.db')}"
            steps: dict[str, Any] = {}
            for part in ("web", "sms"):
                flags = ["--json"] if side == "new" else []
                ran = _timed(["import", str(work / f"{part}.parquet"), "--db", db, *flags], src)
                summary = json.loads(ran.pop("stdout").splitlines()[-1])
                ran["accepted"] = summary["accepted"]
                ran["rows_per_s"] = round(result[f"{part}_rows"] / ran["wall_s"])
                steps[f"import_{part}"] = ran
                loads.append(os.getloadavg()[0])
                print(side, part, json.dumps(ran), file=sys.stderr)
            for fmt in ("csv", "parquet"):
                out = work / f"{side}-{fmt}"
                shutil.rmtree(out, ignore_errors=True)
                flag = ["--format", fmt] if side == "new" else (["--parquet"] * (fmt == "parquet"))
                ran = _timed(["export", "--db", db, "--window", "s34w04", "--out", str(out), *flag],
                             src)  # fmt: skip
                manifest = json.loads(ran.pop("stdout").splitlines()[-1])
                ran["entries"] = manifest["entries"]
                steps[f"export_{fmt}"] = ran
                print(side, "export", fmt, json.dumps(ran), file=sys.stderr)
                ran = _timed(["verify", str(out)], src)
                report = json.loads(ran.pop("stdout").splitlines()[-1])
                ran["ok"] = report["ok"]
                ran["entries_per_s"] = round(report["entries"] / ran["wall_s"])
                steps[f"verify_{fmt}"] = ran
                loads.append(os.getloadavg()[0])
                print(side, "verify", fmt, json.dumps(ran), file=sys.stderr)
                votes = next(out.glob("votes.*"))
                steps[f"floor_sha256_{fmt}_file_s"] = _sha256_file(votes)
                steps[f"{fmt}_file_mb"] = votes.stat().st_size >> 20
            result[side] = steps
        result["floor_chain"] = _chain_floor(next((work / "new-parquet").glob("votes.*")))
        result["load_average_1m"] = [round(load, 1) for load in loads]
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
