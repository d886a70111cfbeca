"""The co-action kernel of the lockstep detector, on numpy or (optionally) PyTorch.

Input: one row per saved web ballot (its allocation, 0-10 per couple) and when it was saved.
Output: the (identical allocation, time window) cells far denser than the night's baseline
predicts (observed >= minimum, observed >= expected + z * sqrt(expected + 1) and observed >=
factor * expected, where expected = signature count x window count / ballots) and, per ballot,
its signature when it sits in one.

Two guards keep a big night honest. *Many cells*: a night of millions of ballots tests
millions of (allocation, window) cells, so a fixed z finds "dense" cells by chance alone; with
``alpha`` the z is raised to the normal tail bound sqrt(2 ln(cells / alpha)) for the number of
cells tested (Bonferroni: about ``alpha`` chance cells a night under the baseline). *A model,
not the truth*: the baseline assumes a ballot's shape and its minute are independent, which a
large campaign breaks (its minutes hold a big share of the night, so every other popular
ballot looks a few per cent above expectation there); at tens of thousands of ballots a few per
cent is many standard deviations, so a cell must also hold ``factor`` times what is expected.

Both backends return the same arrays, bit for bit, in one canonical order:

- a *signature* is the rank of the allocation among the distinct allocations in
  lexicographic order. It is exact: allocations are packed in base (max + 1) Horner form,
  several int64 words when one cannot hold them all, and words are combined by ranking, so
  no product can wrap and two different ballots never share a signature;
- dense cells come sorted by (signature, window); ``first`` is the first ballot of each, so a
  caller can add up a signature's expected counts in the order the ballots arrived.

The float part is elementwise IEEE double arithmetic (products, one division, one square root;
z and the factor are host scalars), correctly rounded on both backends; the division is by a
tensor on the device, since CUDA turns a division by a host scalar into a multiplication by its
reciprocal.

Which backend runs: ``selected`` (the CLI's ``--accel``), else the environment variable
``BALLROOM_ACCEL``, else ``auto``: PyTorch on a CUDA device when torch imports and sees one,
numpy otherwise. ``torch`` asks for PyTorch (on CUDA when present, else on the CPU, which is
how the tests exercise its code); ``cpu`` is numpy. PyTorch is optional (extra ``gpu``).
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.errors import InvalidInput

if TYPE_CHECKING:
    import torch

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

ACCEL_ENV = "BALLROOM_ACCEL"
ACCELS = ("auto", "cpu", "torch")
_INT64_MAX = 2**63 - 1

_chosen: str | None = None  # set by ``selected``; wins over the environment


@dataclass(frozen=True)
class CoAction:
    """Dense (signature, window) cells and the ballots in them; see the module docstring."""

    labels: IntArray  # per ballot: its signature when in a dense cell, else -1
    signature: IntArray  # per dense cell, sorted by (signature, window)
    window: IntArray  # the cell's window: timestamp // window_us
    observed: IntArray  # ballots in the cell
    expected: FloatArray  # what the night's baseline predicts for it
    first: IntArray  # the cell's first ballot (input row)
    backend: str  # "numpy", "torch-cpu" or "torch-cuda"

    def expected_of(self, signature: int) -> float:
        """A signature's expected ballots over its dense cells, added in order of arrival."""
        cells = np.flatnonzero(self.signature == signature)
        in_arrival = cells[np.argsort(self.first[cells])]
        return float(self.expected[in_arrival].sum())


def co_action(
    rows: npt.NDArray[np.integer[Any]],
    timestamps: IntArray,
    *,
    window_us: int,
    minimum: int,
    z: float,
    alpha: float | None = None,
    factor: float = 0.0,
    accel: str | None = None,
) -> CoAction:
    """Dense co-action cells of ``rows`` (ballots x couples) saved at ``timestamps`` (µs);
    ``alpha`` and ``factor`` are the module docstring's guards (off by default)."""
    if rows.ndim != 2 or len(rows) != len(timestamps):
        raise InvalidInput("co-action needs one allocation row per timestamp", field="rows")
    if window_us < 1:
        raise InvalidInput("the co-action window must be 1 µs or more", field="window_us")
    device = _device(accel)
    if not len(rows):
        return _nothing(device)
    if len(rows) ** 2 > _INT64_MAX:  # a (signature, window) key is < ballots²
        raise InvalidInput("co-action takes fewer than 3 billion ballots", field="rows")
    if int(rows.min()) < 0:
        raise InvalidInput("allocations cannot be negative", field="rows")
    if alpha is not None and not 0 < alpha < 1:
        raise InvalidInput("the co-action alpha must lie between 0 and 1", field="alpha")
    base = max(int(rows.max()) + 1, 2)
    test = _Test(minimum=minimum, z=z, alpha=alpha, factor=factor)
    if device == "numpy":
        return _numpy_kernel(rows, timestamps, base=base, window_us=window_us, test=test)
    return _torch_kernel(rows, timestamps, base=base, window_us=window_us, test=test, device=device)


@dataclass(frozen=True)
class _Test:
    """When a cell is dense; host scalars only, so both backends decide alike."""

    minimum: int
    z: float
    alpha: float | None
    factor: float

    def z_for(self, cells: int) -> float:
        """``z``, raised to the Bonferroni bound for ``cells`` cells when ``alpha`` is set."""
        if self.alpha is None or cells <= self.alpha:
            return self.z
        return max(self.z, math.sqrt(2.0 * math.log(cells / self.alpha)))


# --------------------------------------------------------------------------- selection


@contextmanager
def selected(accel: str | None) -> Iterator[None]:
    """Run the enclosed co-action on ``accel`` (None: the environment's choice)."""
    global _chosen  # noqa: PLW0603 -- the one process-wide choice, restored on exit
    if accel is not None:
        _device(accel)  # fail now, before any work, when torch is asked for and missing
    previous, _chosen = _chosen, accel
    try:
        yield
    finally:
        _chosen = previous


def _device(accel: str | None) -> str:
    """``numpy``, ``cpu`` or ``cuda`` (the last two: a torch device) for an accel setting."""
    choice = (accel or _chosen or os.environ.get(ACCEL_ENV) or "auto").strip().lower()
    if choice not in ACCELS:
        raise InvalidInput(
            f"accel must be one of {', '.join(ACCELS)}, not {choice!r}", field="accel"
        )
    if choice == "cpu":
        return "numpy"
    if choice == "auto":
        return "cuda" if _cuda_present() else "numpy"
    if _torch() is None:
        raise InvalidInput("accel torch needs PyTorch: pip install 'ballroom[gpu]'", field="accel")
    return "cuda" if _cuda_present() else "cpu"


@cache
def _torch() -> ModuleType | None:
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


@cache
def _cuda_present() -> bool:
    try:
        if metadata.version("torch").endswith("+cpu"):
            return False  # a CPU-only build: spare "auto" the second it takes to import
    except metadata.PackageNotFoundError:
        pass  # no metadata (or no torch): the import decides
    torch = _torch()
    return torch is not None and bool(torch.cuda.is_available())


def _nothing(device: str) -> CoAction:
    none = np.zeros(0, dtype=np.int64)
    return CoAction(none, none, none, none, np.zeros(0), none, _backend_name(device))


def _backend_name(device: str) -> str:
    return device if device == "numpy" else f"torch-{device}"


def _words(columns: int, base: int) -> list[slice]:
    """Column slices whose base-``base`` packing fits an int64 (at least one column each)."""
    per_word = 1
    while base ** (per_word + 1) - 1 <= _INT64_MAX:
        per_word += 1
    return [slice(start, start + per_word) for start in range(0, max(columns, 1), per_word)]


# --------------------------------------------------------------------------- numpy


def _rank_numpy(values: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct ``values`` sorted, each value's rank among them, and their counts."""
    # Arrow hashes (no sort of every value); only the distinct values are sorted.
    encoded = pc.dictionary_encode(pa.array(values))
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct), dtype=np.int64)
    inverse = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return distinct[order], inverse, np.bincount(inverse, minlength=len(distinct))


def _signatures_numpy(rows: npt.NDArray[np.integer[Any]], base: int) -> tuple[IntArray, IntArray]:
    signature: IntArray | None = None
    for word in _words(rows.shape[1], base):
        packed = np.zeros(len(rows), dtype=np.int64)
        for column in range(*word.indices(rows.shape[1])):
            packed *= base
            packed += rows[:, column]
        if signature is not None:  # combine by rank: both factors < ballots, no wrap
            _, word_rank, word_count = _rank_numpy(packed)
            packed = signature * len(word_count) + word_rank
        _, signature, count = _rank_numpy(packed)
    assert signature is not None  # _words gives at least one word
    return signature, count


def _numpy_kernel(
    rows: npt.NDArray[np.integer[Any]],
    timestamps: IntArray,
    *,
    base: int,
    window_us: int,
    test: _Test,
) -> CoAction:
    ballots = len(rows)
    signature, signature_total = _signatures_numpy(rows, base)
    bucket = timestamps // window_us
    low, high = int(bucket.min()), int(bucket.max())
    if high - low >= ballots:  # a sparse span of time: rank the windows, keys stay < ballots²
        _, bucket, bucket_total = _rank_numpy(bucket)
        buckets = len(bucket_total)
    else:
        bucket -= low
        buckets = high - low + 1
        bucket_total = np.bincount(bucket, minlength=buckets)
    key = signature * buckets + bucket
    encoded = pc.dictionary_encode(pa.array(key))
    key_code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key_value = encoded.dictionary.to_numpy(zero_copy_only=False).astype(np.int64)
    observed = np.bincount(key_code, minlength=len(key_value))
    product = signature_total[key_value // buckets] * bucket_total[key_value % buckets]
    expected = product.astype(np.float64) / np.float64(ballots)
    z = test.z_for(len(signature_total) * buckets)
    threshold = expected + z * np.sqrt(expected + 1.0)
    dense = (
        (observed >= test.minimum) & (observed >= threshold) & (observed >= expected * test.factor)
    )
    member = dense[key_code]
    labels = np.where(member, signature, -1)
    in_cells = np.flatnonzero(member)
    cells, first_of = np.unique(key_code[in_cells], return_index=True)
    first = in_cells[first_of]
    order = np.argsort(key_value[cells], kind="stable")
    cells, first = cells[order], first[order]
    return CoAction(
        labels=labels,
        signature=key_value[cells] // buckets,
        window=timestamps[first] // window_us,
        observed=observed[cells],
        expected=expected[cells],
        first=first,
        backend="numpy",
    )


# --------------------------------------------------------------------------- torch


def _rank_torch(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    import torch  # noqa: PLC0415 -- optional: imported only once selected

    _, inverse, counts = torch.unique(values, sorted=True, return_inverse=True, return_counts=True)
    return inverse, counts


def _torch_kernel(
    rows: npt.NDArray[np.integer[Any]],
    timestamps: IntArray,
    *,
    base: int,
    window_us: int,
    test: _Test,
    device: str,
) -> CoAction:
    import torch  # noqa: PLC0415 -- optional: imported only once selected (_device checked)

    int64 = torch.int64
    ballots = len(rows)
    on = torch.device(device)
    if rows.dtype not in (np.int8, np.uint8, np.int16, np.int32, np.int64):
        rows = rows.astype(np.int64)  # dtypes torch has no tensor of
    allocation = torch.from_numpy(np.ascontiguousarray(rows)).to(on)
    time = torch.from_numpy(np.ascontiguousarray(timestamps, dtype=np.int64)).to(on)

    signature: torch.Tensor | None = None
    signature_total = torch.zeros(0, dtype=int64, device=on)
    for word in _words(rows.shape[1], base):
        packed = torch.zeros(ballots, dtype=int64, device=on)
        for column in range(*word.indices(rows.shape[1])):
            packed = packed * base + allocation[:, column].to(int64)
        if signature is not None:  # combine by rank, as the numpy kernel does
            word_rank, word_count = _rank_torch(packed)
            packed = signature * len(word_count) + word_rank
        signature, signature_total = _rank_torch(packed)
    assert signature is not None
    del allocation

    bucket = torch.div(time, window_us, rounding_mode="floor")
    low, high = int(bucket.min().item()), int(bucket.max().item())
    if high - low >= ballots:
        bucket, bucket_total = _rank_torch(bucket)
        buckets = len(bucket_total)
    else:
        bucket = bucket - low
        buckets = high - low + 1
        bucket_total = torch.bincount(bucket, minlength=buckets)
    key = signature * buckets + bucket
    key_value, key_code, observed = torch.unique(
        key, sorted=True, return_inverse=True, return_counts=True
    )
    del key, bucket
    product = signature_total[torch.div(key_value, buckets, rounding_mode="floor")]
    product = product * bucket_total[torch.remainder(key_value, buckets)]
    # A device tensor, not a Python number: see the module docstring (reciprocal on CUDA).
    expected = product.to(torch.float64) / torch.tensor(
        float(ballots), dtype=torch.float64, device=on
    )
    z = test.z_for(len(signature_total) * buckets)
    threshold = expected + torch.sqrt(expected + 1.0) * z
    dense = (
        (observed >= test.minimum) & (observed >= threshold) & (observed >= expected * test.factor)
    )
    member = dense[key_code]
    labels = torch.where(member, signature, torch.full_like(signature, -1))
    in_cells = torch.nonzero(member).flatten()
    first_all = torch.full((len(key_value),), ballots, dtype=int64, device=on)
    first_all.scatter_reduce_(0, key_code[in_cells], in_cells, reduce="amin")
    cells = torch.nonzero(dense).flatten()  # already in key order: unique sorted them
    first = first_all[cells]
    return CoAction(
        labels=_numpy(labels),
        signature=_numpy(torch.div(key_value[cells], buckets, rounding_mode="floor")),
        window=_numpy(torch.div(time[first], window_us, rounding_mode="floor")),
        observed=_numpy(observed[cells]),
        expected=_numpy(expected[cells]),
        first=_numpy(first),
        backend=_backend_name(device),
    )


def _numpy(tensor: torch.Tensor) -> npt.NDArray[Any]:
    array: npt.NDArray[Any] = tensor.cpu().numpy()
    return array
