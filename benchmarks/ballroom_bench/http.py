"""``ballroom bench http``: web ballots over HTTP against a bare ASGI endpoint.

One run, on one machine, with the load from ``wrk`` in its own process (issue 3, "Speed"):

1. **setup** (not measured): a fresh store (a scratch SQLite file unless ``--db``), a window
   with the Season 34 couples of one week, opened, and ``--voters`` verified voters made
   through ``AccountService.sign_up``/``verify``; their session tokens go to a file.
2. **web-ballot path**: ``ballroom serve`` itself in a subprocess (the real app, the group
   commit writer, SQLite WAL with ``synchronous=FULL``), loaded by ``wrk`` with
   ``benchmarks/http_ballots.lua``: each request a random voter's token, a random valid
   allocation (0-10 per couple) and a unique ``Idempotency-Key``.
3. **baseline**: ``benchmarks/baseline_asgi.py`` (reads the body, answers a receipt-sized
   JSON, nothing else) under the same uvicorn settings, the same wrk load.
3b. **floor** (unless ``--no-floor``): ``benchmarks/floor_asgi.py``, the least a durable
   endpoint does (parse, chain hash, one ``vote_log`` row group-committed to a scratch SQLite
   file, receipt after the commit), same settings and load: how much of the bare endpoint's
   speed survives making a ballot durable at all, before any rule runs. Then the same floor
   with a plain file appended to and ``fdatasync``-ed per group in place of the store (the
   *journal floor*): what survives durability itself, with no database work at all.
4. **check**: after the server has stopped, the store must hold every acknowledged ballot
   exactly once (its receipt ``seq`` present, no ``seq`` acknowledged twice) and nothing
   else than those plus at most one in-flight request per connection that wrk stopped
   waiting for; the window's hash chain must verify and a recount match the live tally.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import orjson
import sqlalchemy as sa

from ballroom.adapters.db import schema
from ballroom.bootstrap import bootstrap
from ballroom.cli._common import EXIT_CHECK_FAILED, reports_errors
from ballroom.errors import Conflict, NotFound
from ballroom.settings import load_settings

BENCHMARKS = Path(__file__).resolve().parents[1]
LUA_SCRIPT = BENCHMARKS / "http_ballots.lua"
BASELINE_APP = BENCHMARKS / "baseline_asgi.py"
FLOOR_APP = BENCHMARKS / "floor_asgi.py"
PEER_APP = BENCHMARKS / "peer_fastapi_psycopg.py"
HOST = "127.0.0.1"
_CODE = "424242"
_SERVER_START_S = 60.0
_SERVER_STOP_S = 30.0


@dataclass(frozen=True)
class Prepared:
    """What the setup made: the open window, its couples and the voters' token file."""

    db_url: str
    window: str
    couples: tuple[str, ...]
    tokens_file: Path
    voters: int


@dataclass(frozen=True)
class Load:
    """The shape of one wrk run."""

    duration_s: int  # wrk takes whole seconds only
    connections: int
    threads: int
    warmup_s: int


def prepare(db_url: str, folder: Path, *, voters: int, week: int) -> Prepared:
    """A fresh open window for ``week``'s couples and ``voters`` verified voters (tokens file).

    Everything goes through the services; the window id and voter addresses are unique per
    call, so a reused store (``--db``) keeps earlier runs apart.
    """
    run = uuid.uuid4().hex[:10]
    app = bootstrap(load_settings(db_url=db_url), make_code=lambda: _CODE)
    try:
        app.start()
        season = app.season
        chosen = season.week(week)
        couples = tuple(chosen.couples)
        window = f"{season.window_id(chosen)}-bench-{run}"
        app.voting.create_window(
            window,
            {couple: season.couple(couple).keyword for couple in couples},
            label=f"bench http, week {chosen.number}",
            season=season.id,
        )
        app.voting.open_window(window)
        tokens = []
        for number in range(voters):
            email = f"bench.{run}.{number}@example.com"
            # Each voter its own client address: the hourly code limit per address must not
            # bite a benchmark that signs up hundreds of voters, run after run on one store.
            app.accounts.sign_up(email, 30, "US", client=f"bench-{run}-{number}")
            tokens.append(app.accounts.verify(email, _CODE).token)
    finally:
        app.stop()
    tokens_file = folder / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return Prepared(db_url, window, couples, tokens_file, voters)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def serve_command(db_url: str, port: int) -> list[str]:
    """``ballroom serve`` itself, as a subprocess."""
    entry = "import sys; from ballroom.cli import main; sys.exit(main())"
    return [
        sys.executable,
        "-c",
        entry,
        "serve",
        "--db",
        db_url,
        "--host",
        HOST,
        "--port",
        str(port),
    ]


def baseline_command(port: int) -> list[str]:
    """The bare ASGI endpoint under the same uvicorn settings."""
    return [sys.executable, str(BASELINE_APP), "--host", HOST, "--port", str(port)]


def floor_command(db_url: str, port: int) -> list[str]:
    """The durable floor (one group-committed row per request) under the same settings."""
    return [sys.executable, str(FLOOR_APP), "--db", db_url, "--host", HOST, "--port", str(port)]


def peer_command(db_url: str, port: int) -> list[str]:
    """The conventional FastAPI + psycopg peer, one transaction per request, on PostgreSQL."""
    return [sys.executable, str(PEER_APP), "--db", db_url, "--host", HOST, "--port", str(port)]


def journal_floor_command(path: Path, port: int) -> list[str]:
    """The durable floor with a plain ``fdatasync``-ed file for its store."""
    journal = ["--journal", str(path)]
    return [sys.executable, str(FLOOR_APP), *journal, "--host", HOST, "--port", str(port)]


@contextlib.contextmanager
def running(
    command: Sequence[str], port: int, log: Path
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start a server subprocess, wait until it answers, stop it gracefully (SIGINT) after."""
    base = f"http://{HOST}:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(process, f"{base}/healthz", log)
            yield base, process
        finally:
            # SIGINT: uvicorn's graceful shutdown runs the lifespan exit, which commits
            # whatever the vote writer still holds before the process ends.
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(_SERVER_STOP_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + _SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise Conflict(f"the server exited with {process.returncode} before answering: {tail}")
        try:
            with urllib.request.urlopen(url, timeout=1.0) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise Conflict(f"the server did not answer {url} within {_SERVER_START_S:.0f} s")


def require_wrk() -> str:
    """The wrk binary and its Lua script, or ``NotFound`` naming what is missing."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise NotFound("wrk is not installed (apt-get install wrk)", field="wrk")
    return wrk


def run_wrk(
    base: str, prepared: Prepared, load: Load, *, prefix: str, folder: Path
) -> dict[str, Any]:
    """One wrk run of POST ballots; its summary (from the Lua ``done``) and acked seqs."""
    wrk = require_wrk()
    out = folder / f"{prefix}.json"
    command = [
        wrk,
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration_s}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        base,
        "--",
        str(prepared.tokens_file),
        f"/api/v1/windows/{prepared.window}/ballots",
        ",".join(prepared.couples),
        # Keys unique across runs too: a reused store (--db) keeps every earlier run's keys,
        # and a key seen before for another ballot is answered 409.
        f"{prepared.window}-{prefix}",
        str(out),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0 or not out.exists():
        said = (finished.stderr or finished.stdout).strip()[-500:]
        raise Conflict(f"wrk failed ({finished.returncode}): {said}")
    summary: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    seqs_text = Path(f"{out}.seqs").read_text(encoding="utf-8").split()
    summary["acked_seqs"] = [int(seq) for seq in seqs_text]
    return summary


def measure(
    command: Sequence[str], port: int, prepared: Prepared, load: Load, *, name: str, folder: Path
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Start a server, warm it up, load it; the measured run and every run's summary."""
    runs: list[dict[str, Any]] = []
    with running(command, port, folder / f"{name}.log") as (base, process):
        if load.warmup_s > 0:
            warm = Load(load.warmup_s, load.connections, load.threads, 0)
            runs.append(run_wrk(base, prepared, warm, prefix=f"{name}-warmup", folder=folder))
        cpu_before = cpu_seconds(process.pid)
        measured = run_wrk(base, prepared, load, prefix=f"{name}-measured", folder=folder)
        cpu_after = cpu_seconds(process.pid)
        runs.append(measured)
    # CPU time the server burnt per answered request: unlike requests/s, this barely moves
    # with what else the (shared) machine is doing.
    measured["cpu_us_per_request"] = (
        round((cpu_after - cpu_before) / measured["requests"] * 1e6, 1)
        if cpu_before is not None and cpu_after is not None and measured["requests"]
        else None
    )
    return measured, runs


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and all its threads (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def journal_holds_acknowledged(path: Path, runs: Sequence[dict[str, Any]]) -> bool:
    """Whether the journal floor's file holds every ballot it acknowledged, once each (so the
    floor is a floor of durable endpoints, not of fast ones)."""
    written = collections.Counter(
        orjson.loads(line)[1] for line in path.read_bytes().splitlines() if line
    )
    acked = [seq for run in runs for seq in run["acked_seqs"]]
    return bool(acked) and all(written[seq] == 1 for seq in acked)


def verify_store(
    prepared: Prepared, runs: Sequence[dict[str, Any]], connections: int
) -> dict[str, Any]:
    """Compare what the store holds with what wrk saw acknowledged (server stopped first)."""
    acked = [seq for run in runs for seq in run["acked_seqs"]]
    app = bootstrap(load_settings(db_url=prepared.db_url))
    try:
        vote_log = schema.vote_log
        with app.engine.connect() as connection:
            stored = {
                int(seq)
                for (seq,) in connection.execute(
                    sa.select(vote_log.c.seq).where(
                        vote_log.c.window_id == prepared.window, vote_log.c.channel == "web"
                    )
                )
            }
        app.start()  # rebuilds the live tally from the log, as a restarted server would
        chain_break = app.voting.verify_log(prepared.window)
        recount_ok = app.voting.recount(prepared.window).as_dict() == (
            app.voting.tallies(prepared.window).as_dict()
        )
    finally:
        app.stop()
    acked_set = set(acked)
    missing = len(acked_set - stored)
    duplicated = len(acked) - len(acked_set)
    unacknowledged = len(stored - acked_set)
    # wrk stops mid-flight: at most one request per connection per run was sent, committed
    # and answered after wrk stopped listening.
    in_flight_allowed = connections * len(runs)
    ok = (
        missing == 0
        and duplicated == 0
        and unacknowledged <= in_flight_allowed
        and chain_break is None
        and recount_ok
    )
    return {
        "ok": ok,
        "acknowledged_2xx": len(acked),
        "stored_ballots": len(stored),
        "acknowledged_and_stored": len(acked_set & stored),
        "acknowledged_missing": missing,
        "acknowledged_twice": duplicated,
        "stored_unacknowledged": unacknowledged,
        "in_flight_allowed": in_flight_allowed,
        "chain_ok": chain_break is None,
        "recount_matches_tally": recount_ok,
    }


def _summary(measured: dict[str, Any]) -> dict[str, Any]:
    return {
        "requests_per_s": round(measured["requests_per_s"], 1),
        "p50_ms": measured["latency_ms"]["p50"],
        "p99_ms": measured["latency_ms"]["p99"],
        "errors": measured["non_2xx"] + sum(measured["socket_errors"].values()),
        "requests": measured["requests"],
        "cpu_us_per_request": measured["cpu_us_per_request"],
    }


def run_postgres(
    postgres_url: str, folder: Path, load: Load, *, voters: int, week: int
) -> dict[str, Any]:
    """``ballroom serve`` on PostgreSQL, then the conventional peer on the same server and
    load: the ``postgresql`` part of the report."""
    pg_folder = folder / "postgresql"
    pg_folder.mkdir()
    prepared = prepare(postgres_url, pg_folder, voters=voters, week=week)
    port = free_port()
    web, runs = measure(
        serve_command(postgres_url, port), port, prepared, load, name="web-pg", folder=pg_folder
    )
    check = verify_store(prepared, runs, load.connections)
    port = free_port()
    peer, _ = measure(
        peer_command(postgres_url, port), port, prepared, load, name="peer", folder=pg_folder
    )
    rate, peer_rate = web["requests_per_s"], peer["requests_per_s"]
    return {
        **_summary(web),
        "votes_verified": check["ok"],
        "verification": check,
        "peer": {"name": "fastapi-psycopg-per-request-transaction", **_summary(peer)},
        "ratio_to_peer": round(rate / peer_rate, 3) if peer_rate else 0.0,
    }


def run_http_bench(
    db_url: str | None,
    folder: Path,
    load: Load,
    *,
    voters: int,
    week: int,
    floor: bool = True,
    postgres_url: str | None = None,
) -> dict[str, Any]:
    """The whole benchmark (see the module docstring); the report as one JSON-ready dict."""
    require_wrk()  # before the setup: fail in a second, not after it
    url = db_url or f"sqlite:///{folder / 'bench.db'}"
    prepared = prepare(url, folder, voters=voters, week=week)
    port = free_port()
    web, web_runs = measure(
        serve_command(url, port), port, prepared, load, name="web", folder=folder
    )
    check = verify_store(prepared, web_runs, load.connections)
    port = free_port()
    base, _ = measure(baseline_command(port), port, prepared, load, name="bare", folder=folder)
    floors: dict[str, dict[str, Any]] = {}
    journal_verified: bool | None = None
    if floor:
        port = free_port()
        floor_db = f"sqlite:///{folder / 'floor.db'}"
        floors["floor"], _ = measure(
            floor_command(floor_db, port), port, prepared, load, name="floor", folder=folder
        )
        port = free_port()
        journal = folder / "floor.journal"
        command = journal_floor_command(journal, port)
        floors["journal_floor"], journal_runs = measure(
            command, port, prepared, load, name="journal-floor", folder=folder
        )
        journal_verified = journal_holds_acknowledged(journal, journal_runs)
    errors = web["non_2xx"] + sum(web["socket_errors"].values())
    ratio = web["requests_per_s"] / base["requests_per_s"] if base["requests_per_s"] else 0.0
    web_cpu, base_cpu = web["cpu_us_per_request"], base["cpu_us_per_request"]
    report: dict[str, Any] = {
        "path": "web-ballot",
        "requests_per_s": round(web["requests_per_s"], 1),
        "p50_ms": web["latency_ms"]["p50"],
        "p99_ms": web["latency_ms"]["p99"],
        "errors": errors,
        "requests": web["requests"],
        "statuses": web["statuses"],
        "cpu_us_per_request": web_cpu,
        "baseline": {
            "name": "bare-asgi",
            "requests_per_s": round(base["requests_per_s"], 1),
            "p50_ms": base["latency_ms"]["p50"],
            "p99_ms": base["latency_ms"]["p99"],
            "errors": base["non_2xx"] + sum(base["socket_errors"].values()),
            "cpu_us_per_request": base_cpu,
        },
        "ratio": round(ratio, 3),
        # The same comparison by server CPU per request: what the ratio would be if both
        # servers were CPU-bound on an otherwise idle core.
        "cpu_ratio": round(base_cpu / web_cpu, 3) if web_cpu and base_cpu else None,
        "votes_verified": check["ok"],
        "verification": check,
        "setup": {
            "store": url.split(":", 1)[0],
            "window": prepared.window,
            "couples": len(prepared.couples),
            "voters": voters,
            "duration_s": load.duration_s,
            "warmup_s": load.warmup_s,
            "connections": load.connections,
            "wrk_threads": load.threads,
            "load_average": _load_average(),
            "cpus": os.cpu_count(),
        },
    }
    for field, measured in floors.items():
        floor_rate = measured["requests_per_s"]
        report[field] = {
            "name": _FLOORS[field][0],
            **_summary(measured),
            "ratio_to_bare": round(floor_rate / base["requests_per_s"], 3)
            if base["requests_per_s"]
            else 0.0,
        }
        report[f"ratio_to_{field}"] = (
            round(web["requests_per_s"] / floor_rate, 3) if floor_rate else 0.0
        )
    if journal_verified is not None:
        report["journal_floor"]["verified"] = journal_verified
    if postgres_url is not None:
        pg = report["postgresql"] = run_postgres(
            postgres_url, folder, load, voters=voters, week=week
        )
        pg["ratio_to_bare"] = (
            round(pg["requests_per_s"] / base["requests_per_s"], 3)
            if base["requests_per_s"]
            else 0.0
        )
        report["votes_verified"] = report["votes_verified"] and pg["votes_verified"]
    return report


# Report field -> the floor's name in the JSON, and its label in the plain output.
_FLOORS = {
    "floor": ("durable-floor-sqlite", "durable floor  "),
    "journal_floor": ("durable-floor-journal", "journal floor  "),
}


def _load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


@click.command("http")
@click.option("--db", "db_url", default=None, help="Store URL (default: a scratch SQLite file).")
@click.option(
    "--duration",
    type=click.IntRange(1, 3600),
    default=10,
    show_default=True,
    help="Whole seconds of measured load per server.",
)
@click.option(
    "--connections",
    type=click.IntRange(1, 10_000),
    default=32,
    show_default=True,
    help="Open HTTP connections (wrk -c).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="wrk threads (-t); at most --connections.",
)
@click.option(
    "--voters",
    type=click.IntRange(1, 1_000_000),
    default=200,
    show_default=True,
    help="Verified voters whose tokens the load picks from.",
)
@click.option(
    "--week",
    type=click.IntRange(1, 11),
    default=1,
    show_default=True,
    help="Season 34 week whose couples are on the ballot.",
)
@click.option(
    "--warmup",
    type=click.IntRange(0, 600),
    default=1,
    show_default=True,
    help="Whole seconds of unmeasured load before each measured run (0: none).",
)
@click.option(
    "--floor/--no-floor",
    default=True,
    show_default=True,
    help="Also measure the durable floors: one group-committed row per request (SQLite, then "
    "a plain fdatasync-ed file), nothing else.",
)
@click.option(
    "--postgres",
    "postgres_url",
    default=None,
    help="Also run ballroom serve on this PostgreSQL store, and the conventional FastAPI + "
    "psycopg peer (one transaction per request) on the same server, in the same run.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON object.")
@reports_errors
def http(
    *,
    db_url: str | None,
    duration: int,
    connections: int,
    threads: int,
    voters: int,
    week: int,
    warmup: int,
    floor: bool,
    postgres_url: str | None,
    as_json: bool,
) -> None:
    """Measure web ballots over HTTP (ballroom serve) against a bare ASGI endpoint."""
    load = Load(duration, connections, min(threads, connections), warmup)
    with tempfile.TemporaryDirectory(prefix="ballroom-bench-http-") as scratch:
        report = run_http_bench(
            db_url,
            Path(scratch),
            load,
            voters=voters,
            week=week,
            floor=floor,
            postgres_url=postgres_url,
        )
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(readable(report))
    if not report["votes_verified"]:
        sys.exit(EXIT_CHECK_FAILED)


def _floor_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for field, (_, label) in _FLOORS.items():
        lowest = report.get(field)
        if lowest is None:
            continue
        lines.append(
            f"  {label} {lowest['requests_per_s']:>10,.1f} req/s  p50 {lowest['p50_ms']:.1f} ms"
            f"  p99 {lowest['p99_ms']:.1f} ms  errors {lowest['errors']}"
            f"  ({lowest['ratio_to_bare']:.2f}x bare; ballroom serve is "
            f"{report[f'ratio_to_{field}']:.2f}x of it"
            + ("" if lowest.get("verified", True) else "; NOT every answer in its file")
            + ")"
        )
    return lines


def readable(report: dict[str, Any]) -> str:
    """The report as a few lines for a person."""
    base = report["baseline"]
    check = report["verification"]
    setup = report["setup"]
    load = setup["load_average"]
    lines = [
        f"web ballots ({setup['store']}, {setup['couples']} couples, {setup['voters']} voters, "
        f"{setup['connections']} connections, {setup['duration_s']:g} s):",
        f"  ballroom serve  {report['requests_per_s']:>10,.1f} req/s  "
        f"p50 {report['p50_ms']:.1f} ms  p99 {report['p99_ms']:.1f} ms  "
        f"errors {report['errors']}",
        f"  bare ASGI       {base['requests_per_s']:>10,.1f} req/s  "
        f"p50 {base['p50_ms']:.1f} ms  p99 {base['p99_ms']:.1f} ms  errors {base['errors']}",
        f"  ratio {report['ratio']:.2f}x (target >= 0.6x with p99 <= 50 ms)",
        *_floor_lines(report),
        f"  server CPU per request: {report['cpu_us_per_request']} us vs "
        f"{base['cpu_us_per_request']} us bare (cpu ratio {report['cpu_ratio']})",
        f"  store: {check['stored_ballots']} ballots stored, {check['acknowledged_2xx']} "
        f"acknowledged, {check['acknowledged_missing']} acknowledged missing, "
        f"{check['acknowledged_twice']} twice, {check['stored_unacknowledged']} in flight at "
        f"wrk's stop; chain {'ok' if check['chain_ok'] else 'BROKEN'}, recount "
        f"{'matches' if check['recount_matches_tally'] else 'DIFFERS'}: "
        f"{'verified' if report['votes_verified'] else 'NOT VERIFIED'}",
    ]
    pg = report.get("postgresql")
    if pg is not None:
        peer = pg["peer"]
        lines += [
            f"  postgresql      {pg['requests_per_s']:>10,.1f} req/s  p50 {pg['p50_ms']:.1f} ms  "
            f"p99 {pg['p99_ms']:.1f} ms  errors {pg['errors']}  "
            f"({'verified' if pg['votes_verified'] else 'NOT VERIFIED'})",
            f"  peer (pg, 1 tx) {peer['requests_per_s']:>10,.1f} req/s  p50 {peer['p50_ms']:.1f} ms"
            f"  p99 {peer['p99_ms']:.1f} ms  errors {peer['errors']}",
            f"  postgresql ratio to the peer {pg['ratio_to_peer']:.2f}x (target >= 3x)",
        ]
    if load is not None:
        lines.append(f"  load average {load[0]:.2f} on {setup['cpus']} CPUs")
    return "\n".join(lines)
