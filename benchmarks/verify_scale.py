"""Scale benchmark of a night's import, export and verify (not a test), at finale size.

    .venv/bin/python benchmarks/verify_scale.py --work /tmp/night     # ≈ 14 M entries, 20 M rows
    .venv/bin/python benchmarks/verify_scale.py --work /tmp/night --reuse \
        --baseline-src /path/to/older/checkout/src   # the same night again, old code beside
    .venv/bin/python benchmarks/verify_scale.py --work /tmp/night --reuse --steps import \
        --import-rows 2000000 --baseline-src /path/to/older/checkout/src   # import alone
    .venv/bin/python benchmarks/verify_scale.py --work /tmp/night --reuse --steps finale \
        --finale-store /tmp/night/kept.db      # export + verify, the store filled only once

Generates a night in ``--shards`` independent parts (``electorate.generate_shards``, as
benchmarks/integrity_scale.py does), written as two Parquet files, its web ballots and its
texts; then runs the real commands, each in its own process (wall time, CPU time and peak RSS
of that process alone, from GNU time):

1. ``ballroom import`` of the first ``--import-rows`` rows of web ballots (the rows/s target)
   into a fresh SQLite store, then ``ballroom export`` (CSV and Parquet) and ``ballroom verify``
   of that small night; with ``--baseline-src`` the same with that checkout's code
   (``PYTHONPATH``), one after the other, each side on its own store;
2. the whole night bulk-inserted into a store as the writer stores it (chained; the setup, not
   a measured step), then ``ballroom export --format csv`` and ``--format parquet`` of it and
   ``ballroom verify`` of each export;
3. the floors, in this process: a plain ``sha256`` over each votes file's bytes (reading
   included), and over the last file measured (the finale's Parquet export when ``--steps``
   has finale, else the small night's or the import's file), the canonical entries verify
   hashes, once as one stream (the physical floor) and once as the chain (one ``sha256`` per
   entry, each over the previous hash and the entry: what the construction costs above the floor).

``--steps`` picks which of 1 (import, and small: the small night's export and verify) and 2
(finale) run; ``--finale-store`` keeps the filled store between runs.

Prints one JSON line; the machine's load average is in it (wall times on a shared box: the
CPU seconds are the steadier figure).
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ballroom.adapters.ballot_batches import read_ballot_batches
from ballroom.adapters.db import create_engine_for, upgrade
from ballroom.adapters.interchange import COLUMNS, OPTIONAL
from ballroom.adapters.vote_codec import allocation_json
from ballroom.bootstrap import voting_service
from ballroom.domain.voting import GENESIS_HASH
from ballroom.integrity.electorate import Scenario, generate_shards
from ballroom.services.ports import FixedClock
from ballroom.services.verification import canonical_entries

FINALE_VOTERS = 2_830_000  # ≈ 14 M log entries, 20 M rows, 80 M votes with the default mix
_CLI = "from ballroom.cli import main; main()"
_STORED = ("window_id", "seq", "ballot_id", "voter", "channel", "allocation", "ts_us", "hash",
           "prev_hash", "idempotency_key", "email", "phone", "ip", "device")  # fmt: skip


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
    """One command in its own process: wall time, CPU seconds and peak RSS of that process
    alone. GNU time starts it: a child forked from this (big) process would report this
    process's peak as its own (Linux keeps the high-water mark across exec)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "RUSAGE %U %S %M", sys.executable, "-c", _CLI, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}: {done.stderr[-2000:]}")
    usage = next(line for line in done.stderr.splitlines() if line.startswith("RUSAGE "))
    user, system, peak_kb = usage.split()[1:]
    return {
        "rc": done.returncode,
        "wall_s": round(wall, 1),
        "cpu_s": round(float(user) + float(system), 1),
        "peak_rss_mb": int(peak_kb) >> 10,
        "stdout": done.stdout,
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


def _slice(source: Path, rows: int, target: Path) -> int:
    """The first whole ballots of ``source`` up to about ``rows`` rows, as Parquet."""
    taken: list[Any] = []
    count = 0
    for batch in read_ballot_batches(source, optional=OPTIONAL, batch_rows=min(rows, 1 << 20)):
        table = batch.table.select(list(COLUMNS))
        taken.append(table)
        count += table.num_rows
        if count >= rows:
            break
    pq.write_table(pa.concat_tables(taken), target)
    return count


def _fill(url: str, parts: list[Path]) -> dict[str, Any]:
    """A store holding ``parts``' ballots in order, chained as the writer chains them, inserted
    in bulk (the setup of the export and verify runs: what a finished night leaves behind)."""
    started, cpu = time.perf_counter(), time.process_time()
    engine = create_engine_for(url)
    upgrade(engine)
    window = str(pq.read_table(parts[0], columns=["window"]).column(0)[0])
    couples: set[str] = set()
    for part in parts:
        couples.update(pc.unique(pq.read_table(part, columns=["couple"]).column(0)).to_pylist())
    # The window first: a service started on a full log would replay it.
    with voting_service(engine, FixedClock(datetime.now(UTC)), group_commit_ms=0) as service:
        service.ensure_window(window, sorted(couples))
    seq, prev = 0, GENESIS_HASH
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        insert = (
            f"INSERT INTO vote_log ({', '.join(_STORED)}) VALUES ({', '.join('?' * len(_STORED))})"
        )
        for part in parts:
            for batch in read_ballot_batches(part, optional=OPTIONAL, checked=True):
                ordered = batch.sorted_by_couple()
                payloads = canonical_entries(ordered, seq + 1)
                ids, voters, channels, emails, phones, ips, devices = (
                    ordered.per_ballot(name).to_pylist()
                    for name in ("ballot_id", "voter", "channel", *OPTIONAL)
                )
                ts_us = ordered.ts_us().tolist()
                pairs = list(
                    zip(
                        ordered.column("couple").to_pylist(),
                        ordered.column("votes").to_pylist(),
                        strict=True,
                    )
                )
                starts = ordered.starts.tolist()
                rows = []
                for index, payload in enumerate(payloads):
                    seq += 1
                    digest = hashlib.sha256(prev.encode() + payload).hexdigest()
                    allocation = pairs[starts[index] : starts[index + 1]]
                    rows.append((
                        window, seq, ids[index], voters[index], channels[index],
                        allocation_json(tuple(allocation)), ts_us[index], digest, prev,
                        f"import:{ids[index]}", emails[index], phones[index], ips[index],
                        devices[index],
                    ))  # fmt: skip
                    prev = digest
                cursor.executemany(insert, rows)
                raw.commit()
        cursor.close()
    finally:
        raw.close()
    engine.dispose()
    return {
        "filled_entries": seq,
        "fill_s": round(time.perf_counter() - started, 1),
        "fill_cpu_s": round(time.process_time() - cpu, 1),
    }


def _import(db_path: Path, votes: Path, src: str | None, rows: int) -> dict[str, Any]:
    for stale in db_path.parent.glob(db_path.name + "*"):
        stale.unlink()
    ran = _timed(["import", str(votes), "--db", f"sqlite:///{db_path}", "--json"], src)
    ran["accepted"] = json.loads(ran.pop("stdout").splitlines()[-1])["accepted"]
    ran["rows_per_s"] = round(rows / ran["wall_s"])
    ran["rows_per_cpu_s"] = round(rows / ran["cpu_s"])
    return ran


def _export_and_verify(db: str, out: Path, fmt: str, src: str | None) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    # A baseline needs this CLI: ``import --json`` and ``export --format`` (main since 5644c85).
    flag = ["--format", fmt]
    exported = _timed(["export", "--db", db, "--window", "s34w04", "--out", str(out), *flag], src)
    entries = json.loads(exported.pop("stdout").splitlines()[-1])["entries"]
    verified = _timed(["verify", str(out)], src)
    report = json.loads(verified.pop("stdout").splitlines()[-1])
    if verified["rc"] != 0 or not report.get("ok"):
        raise SystemExit(f"verify of {out} failed")
    verified["entries_per_s"] = round(entries / verified["wall_s"])
    votes = next(out.glob("votes.*"))
    return {
        "entries": entries,
        "export": exported,
        "verify": verified,
        "file_mb": votes.stat().st_size >> 20,
        "floor_sha256_file_s": _sha256_file(votes),
    }


STEPS = ("import", "small", "finale")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=FINALE_VOTERS)
    parser.add_argument("--shards", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="web rows imported")
    parser.add_argument("--work", type=Path, help="folder for the night, stores and exports")
    parser.add_argument("--reuse", action="store_true", help="the night in --work already")
    parser.add_argument("--baseline-src", help="an older checkout's src: run its steps too")
    parser.add_argument(
        "--steps",
        default=",".join(STEPS),
        help="which of import (the web rows into fresh stores), small (their export and "
        "verify: needs import) and finale (fill, export, verify of the whole night) to run",
    )
    parser.add_argument(
        "--finale-store",
        type=Path,
        help="a store the finale step fills once and then reuses (default: --work/finale.db, "
        "filled afresh each run)",
    )
    parser.add_argument("--formats", default="csv,parquet", help="export formats measured")
    args = parser.parse_args()
    steps = set(args.steps.split(","))
    if not steps <= set(STEPS) or ("small" in steps and "import" not in steps):
        parser.error(f"--steps: a comma list of {', '.join(STEPS)}; small needs import")
    formats = args.formats.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="verify-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"voters": args.voters, "cores": os.cpu_count(), "steps": args.steps}
    loads = [os.getloadavg()[0]]

    def say(*what: object) -> None:
        loads.append(os.getloadavg()[0])
        print(*what, file=sys.stderr, flush=True)

    try:
        if args.reuse:
            result |= {
                f"{part}_rows": pq.ParquetFile(work / f"{part}.parquet").metadata.num_rows
                for part in ("web", "sms")
            }
        else:
            result |= _generate(args.voters, args.shards, args.seed, work)
        say(json.dumps(result))
        sides = {"new": None} | ({"baseline": args.baseline_src} if args.baseline_src else {})
        floor_of: Path | None = None
        if "import" in steps:
            # 1. Import: the web ballots' first rows, ours and the baseline's, one after the other.
            sample = work / "web-sample.parquet"
            rows = _slice(work / "web.parquet", args.import_rows, sample)
            result["import_web_rows"] = rows
            result["floor_sha256_import_file_s"] = _sha256_file(sample)
            floor_of = sample
            # The store's floor: the same ballots chained and inserted with no rules, no
            # lookups and no second pass over the file (``_fill``, in this process).
            floor_db = work / "import-floor.db"
            for stale in floor_db.parent.glob(floor_db.name + "*"):
                stale.unlink()
            floor = _fill(f"sqlite:///{floor_db}", [sample])
            floor["rows_per_s"] = round(rows / floor["fill_s"])
            result["floor_import_fill"] = floor
            say("floor", json.dumps(floor))
            small: dict[str, Any] = {}
            for side, src in sides.items():
                small[side] = {"import_web": _import(work / f"import-{side}.db", sample, src, rows)}
                say(side, "import", json.dumps(small[side]["import_web"]))
            if "small" in steps:
                # ... and each side's export and verify of that store (a small night).
                for side, src in sides.items():
                    db = f"sqlite:///{work / f'import-{side}.db'}"  # each side's own schema
                    for fmt in formats:
                        out = work / f"small-{side}-{fmt}"
                        small[side][fmt] = _export_and_verify(db, out, fmt, src)
                        say(side, "small", fmt, json.dumps(small[side][fmt]))
                        floor_of = next(out.glob("votes.*"))
            result["small_night"] = small
        if "finale" in steps:
            # 2. The finale: the whole night in a store, then our export and verify of it.
            store = args.finale_store or work / "finale.db"
            if args.finale_store is None or not store.exists():
                for stale in store.parent.glob(store.name + "*"):
                    stale.unlink()
                result |= _fill(f"sqlite:///{store}", [work / "web.parquet",
                                                        work / "sms.parquet"])  # fmt: skip
                say(json.dumps({k: result[k] for k in ("filled_entries", "fill_s")}))
            finale: dict[str, Any] = {}
            for fmt in formats:
                out = work / f"finale-{fmt}"
                finale[fmt] = _export_and_verify(f"sqlite:///{store}", out, fmt, None)
                say("finale", fmt, json.dumps(finale[fmt]))
                floor_of = next(out.glob("votes.*"))
            result["finale"] = finale
        if floor_of is not None:
            # 3. The floors over the last file measured (the finale's export when it ran).
            result["floor_chain"] = _chain_floor(floor_of) | {"file": floor_of.name}
            say(json.dumps(result["floor_chain"]))
        result["load_average_1m"] = [round(load, 1) for load in loads]
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
