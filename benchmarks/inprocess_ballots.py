"""Web ballots with no HTTP at all: the app's ASGI callable driven in-process.

``ballroom bench http`` measures the whole server under ``wrk``. This takes sockets, HTTP
parsing and the load tool out: a fresh scratch store is prepared as ``bench http`` prepares
it (an open window of one week's couples, verified voters), the app ``ballroom serve`` builds
is wrapped in uvicorn's proxy-headers middleware as uvicorn wraps it, and ``--concurrency``
coroutines on one event loop each send ``--ballots / --concurrency`` ordinary ballots (a
voter's token, a valid allocation, a unique ``Idempotency-Key``) straight into it, each
waiting for its receipt as a connection would. Printed: ballots/s, and CPU per ballot of the
loop thread and of the whole process. ``--way bare`` drives ``baseline_asgi.py`` the same way,
which shows what the driver itself costs.

It answers one question: how fast is the vote path once HTTP costs nothing? Any rate it prints
is an upper bound for ``ballroom serve`` on the same machine.

    .venv/bin/python benchmarks/inprocess_ballots.py                # 20,000 ballots, 32 at a time
    .venv/bin/python benchmarks/inprocess_ballots.py --way bare
    .venv/bin/python benchmarks/inprocess_ballots.py --profile      # cProfile of the loop thread
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from ballroom_bench import http as bench_http
from baseline_asgi import app as bare_app  # run as a script, beside it
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ballroom.api.app import create_app
from ballroom.bootstrap import App, bootstrap
from ballroom.cli._common import settle_heap
from ballroom.settings import load_settings

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
_BODIES = 512  # distinct random allocations, cycled


class Driver:
    """Sends ballots into an ASGI app as uvicorn would, one coroutine per connection."""

    def __init__(self, app: Asgi, prepared: bench_http.Prepared) -> None:
        self.app = ProxyHeadersMiddleware(app, trusted_hosts="127.0.0.1")
        self.path = f"/api/v1/windows/{prepared.window}/ballots"
        tokens = prepared.tokens_file.read_text(encoding="utf-8").split()
        self.tokens = [b"Bearer " + token.encode() for token in tokens]
        rng = random.Random(34)
        self.bodies = [
            orjson.dumps({"allocation": {c: rng.randint(0, 10) for c in prepared.couples}})
            for _ in range(_BODIES)
        ]
        self.run = uuid.uuid4().hex[:8]
        self.statuses: list[int] = []

    async def ballot(self, key: bytes, token: bytes, body: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"authorization", token),
                (b"idempotency-key", key),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"user-agent", b"inprocess"),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never leaves
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.statuses.append(message["status"])

        await self.app(scope, receive, send)

    async def connection(self, number: int, ballots: int, tag: str) -> None:
        for k in range(ballots):
            key = f"{self.run}-{tag}-{number}-{k}".encode()
            token = self.tokens[(number * 7919 + k) % len(self.tokens)]
            await self.ballot(key, token, self.bodies[(number + k) % _BODIES])

    async def load(self, ballots: int, concurrency: int, tag: str) -> None:
        each = max(1, ballots // concurrency)
        await asyncio.gather(*(self.connection(n, each, tag) for n in range(concurrency)))


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by name (Linux ``/proc``; else {})."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text(encoding="ascii")
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        name = thread.name.split(" (")[0]  # "Thread-3 (worker)" -> one line per kind
        seconds[name] = seconds.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return seconds


async def measure(driver: Driver, options: argparse.Namespace) -> None:
    await driver.load(options.concurrency * 20, options.concurrency, "warm")
    driver.statuses.clear()
    profile = cProfile.Profile() if options.profile else None
    threads_before = thread_cpu()
    loop_cpu, process_cpu, wall = time.thread_time(), time.process_time(), time.perf_counter()
    if profile is not None:
        profile.enable()
    await driver.load(options.ballots, options.concurrency, "measured")
    if profile is not None:
        profile.disable()
    loop_cpu = time.thread_time() - loop_cpu
    process_cpu = time.process_time() - process_cpu
    wall = time.perf_counter() - wall
    threads_after = thread_cpu()
    n = len(driver.statuses)
    refused = n - driver.statuses.count(200)
    print(
        f"{options.way}: {n:,} ballots ({refused} not 200), {n / wall:,.0f} ballots/s, "
        f"CPU per ballot: loop thread {1e6 * loop_cpu / n:.1f} us, "
        f"process {1e6 * process_cpu / n:.1f} us"
    )
    for name, after in sorted(threads_after.items(), key=lambda item: -item[1]):
        spent = after - threads_before.get(name, 0.0)
        if spent > 0:
            print(f"  {name:32} {1e6 * spent / n:6.1f} us per ballot")
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop  # noqa: PLC0415 - optional, as for uvicorn
    except ImportError:
        return None
    return uvloop.new_event_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--way", choices=("app", "bare"), default="app")
    parser.add_argument("--ballots", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32, help="like wrk's connections")
    parser.add_argument("--voters", type=int, default=200)
    parser.add_argument("--week", type=int, default=1, help="Season 34 week on the ballot")
    parser.add_argument("--profile", action="store_true", help="cProfile the loop thread")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ballroom-inprocess-") as scratch:
        folder = Path(scratch)
        url = f"sqlite:///{folder / 'bench.db'}"
        prepared = bench_http.prepare(url, folder, voters=options.voters, week=options.week)
        container: App | None = None
        if options.way == "app":
            container = bootstrap(load_settings(db_url=url))
            container.start()  # as `ballroom serve`: started, then the heap settled
            app: Asgi = create_app(container)
        else:
            app = bare_app
        settle_heap()
        try:
            # uvloop when installed, as `ballroom serve` runs on it.
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(measure(Driver(app, prepared), options))
        finally:
            if container is not None:
                container.stop()


if __name__ == "__main__":
    main()
