"""Time the co-action (lockstep) kernel on numpy and on PyTorch, and check they agree.

    .venv/bin/python benchmarks/coaction_gpu.py --voters 1000000 10000000
    .venv/bin/python benchmarks/coaction_gpu.py --voters 100000000 --repeat 3   # on a GPU box

Synthetic saved ballots (not a whole night: the kernel's input alone): organic shapes (10 to
one or two favourites by popularity, or a spread), saved uniformly over two hours, plus three
all-but-one campaigns of 1-3 % each bunched in four minutes. Each backend runs ``--repeat``
times after one small warm-up call (imports, CUDA context); the time is the whole call a
detector pays, transfers to and from the device included. One JSON line per size: seconds
per backend (best and all), whether every output array is equal bit for bit, the torch device
and threads, cores and the 1-minute load average. Exits 1 if the backends disagree. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from ballroom.integrity.coaction import CoAction, co_action

MINUTE_US = 60_000_000
POPULARITY = np.array([0.20, 0.15, 0.12, 0.10, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.04])
FIELDS = ("labels", "signature", "window", "observed", "expected", "first")


def ballots(n: int, seed: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int64]]:
    """``n`` saved ballots (11 couples) and when they were saved, built in 4 Mi-row pieces."""
    rng = np.random.default_rng(seed)
    couples = len(POPULARITY)
    rows = np.zeros((n, couples), dtype=np.int8)
    ts = np.empty(n, dtype=np.int64)
    step = 1 << 22
    for start in range(0, n, step):
        stop = min(n, start + step)
        size = stop - start
        part = rows[start:stop]
        favourite = rng.choice(couples, size, p=POPULARITY)
        second = rng.choice(couples, size, p=POPULARITY)
        kind = rng.random(size)
        part[np.arange(size), favourite] = 10
        two = kind > 0.6
        part[np.flatnonzero(two), second[two]] = 10
        spread = kind > 0.85  # a spread: 0-10 anywhere (many distinct ballots)
        part[spread] = rng.integers(0, 11, (int(spread.sum()), couples), dtype=np.int8)
        ts[start:stop] = rng.integers(0, 120 * MINUTE_US, size)
    for target, share, minute in ((10, 0.03, 30), (9, 0.02, 55), (4, 0.01, 90)):
        members = rng.choice(n, int(n * share), replace=False)
        rows[members] = 10
        rows[members, target] = 0
        ts[members] = rng.integers(minute * MINUTE_US, (minute + 4) * MINUTE_US, len(members))
    return rows, ts


def timed(
    rows: npt.NDArray[np.int8], ts: npt.NDArray[np.int64], accel: str, repeat: int
) -> tuple[CoAction, list[float]]:
    co_action(rows[:1000], ts[:1000], window_us=MINUTE_US, minimum=8, z=5.0, accel=accel)
    seconds = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = co_action(rows, ts, window_us=MINUTE_US, minimum=8, z=5.0, accel=accel)
        seconds.append(round(time.perf_counter() - started, 3))
    assert result is not None
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voters", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="cpu,torch", help="comma-separated accel values")
    args = parser.parse_args()
    agreed = True
    for n in args.voters:
        started = time.perf_counter()
        rows, ts = ballots(n, args.seed)
        line: dict[str, Any] = {"voters": n, "generate_s": round(time.perf_counter() - started, 1)}
        results = {}
        for accel in args.backends.split(","):
            result, seconds = timed(rows, ts, accel, args.repeat)
            results[accel] = result
            line[f"{result.backend}_s"] = min(seconds)
            line[f"{result.backend}_runs_s"] = seconds
        first, *others = results.values()
        equal = all(
            np.array_equal(getattr(first, f), getattr(other, f))
            and getattr(first, f).dtype == getattr(other, f).dtype
            for other in others
            for f in FIELDS
        )
        agreed &= equal
        line["equal"] = equal
        line["dense_cells"] = len(first.signature)
        line["ballots_in_cells"] = int((first.labels >= 0).sum())
        line.update(_machine())
        print(json.dumps(line), flush=True)
    return 0 if agreed else 1


def _machine() -> dict[str, Any]:
    facts: dict[str, Any] = {"cores": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2)}
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        facts["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            facts["gpu"] = torch.cuda.get_device_name(0)
    return facts


if __name__ == "__main__":
    sys.exit(main())
