"""One night's integrity report: read the log, apply the caps, detect, and measure the effect.

``analyze`` returns a ``Report`` whose ``as_dict`` is exactly docs/interfaces.md §3 (plus
optional fields: rows, window, tallies, per-cluster signals, the campaign details, and a
per-minute timeline for the charts).
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ballroom.adapters.interchange import (
    Categorical,
    VoteTable,
    read_vote_table,
    ts_to_datetime,
)
from ballroom.domain.night import Night
from ballroom.integrity.counterfactual import effect
from ballroom.integrity.detectors import (
    Findings,
    IdentityValues,
    TextingSignals,
    Thresholds,
    detect,
    identity_values,
    texting_signals,
)
from ballroom.integrity.heap import glibc, release_freed
from ballroom.integrity.tally import Allocations, allocations, single_window


@dataclass
class Report:
    """The findings of one night, ready for JSON, a terminal table or an HTML page."""

    voters: int
    ballots: int
    rows: int
    window: str
    couples: list[str]
    flagged_voters: list[str]
    findings: Findings
    counterfactual: dict[str, Any] | None
    timeline: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)
    voter_ids: Categorical | None = None  # the analysed voters (codes index the findings)

    def voter_labels(self) -> dict[str, list[str]]:
        """The ids of the voters each flag reason applies to."""
        if self.voter_ids is None:
            return {}
        ids = self.voter_ids
        return {
            name: ids.labels_of(np.flatnonzero(mask))
            for name, mask in self.findings.reasons.items()
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "voters": self.voters,
            "ballots": self.ballots,
            "flagged_voters": self.flagged_voters,
            "clusters": [cluster.as_dict() for cluster in self.findings.clusters],
            "campaigns": [campaign.as_dict() for campaign in self.findings.campaigns],
            "counterfactual": self.counterfactual,
            "rows": self.rows,
            "window": self.window,
            "flag_reasons": self.reasons,
            "flagged_evidence": self.flagged_evidence(),
        }

    def flagged_evidence(self) -> list[dict[str, Any]]:
        """Each flagged voter's combined evidence and its signals, strongest first."""
        findings = self.findings
        if findings.score is None or findings.evidence is None or self.voter_ids is None:
            return []
        idx = np.flatnonzero(findings.flagged)
        order = idx[np.lexsort((idx, -findings.score[idx]))]
        names = self.voter_ids.labels_of(order)
        strengths = np.round(findings.score[order].astype(np.float64), 2).tolist()
        evidence = findings.evidence
        columns = [
            (name, np.round(evidence.strength(name, order), 2).tolist())
            for name in evidence.names
            if evidence.tenths[name][order].any()
        ]
        return [
            {
                "voter": voter,
                "strength": strengths[i],
                "signals": {name: values[i] for name, values in columns if values[i] > 0},
            }
            for i, voter in enumerate(names)
        ]


def analyze_file(
    path: str | Path,
    night: Night | None = None,
    *,
    window: str | None = None,
    seed: int = 0,
    draws: int = 200,
    thresholds: Thresholds | None = None,
) -> Report:
    """Read an interchange file and analyse it (see ``analyze``)."""
    with retained_memory():
        table = read_vote_table(path)  # phones too: the SMS detector reads numbers
        release_freed()  # what the read freed: the analysis needs less than the read did
        return analyze(
            table,
            night,
            window=window,
            seed=seed,
            draws=draws,
            thresholds=thresholds,
        )


# glibc's mallopt parameters (malloc.h) and their defaults
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
_GLIBC_TRIM_THRESHOLD, _GLIBC_MMAP_MAX = 128 * 1024, 65536


@dataclass
class _Retention:
    """Analyses in progress (they may overlap in threads): the first sets, the last restores."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    pool: Any = None


_RETENTION = _Retention()


@contextmanager
def retained_memory() -> Iterator[None]:
    """Keep the memory the analysis frees in the process until it is done, then give it back.

    A large night allocates and frees gigabytes of temporaries. By default each big block is a
    fresh ``mmap`` (numpy through glibc, Arrow through mimalloc) and goes back to the kernel
    when freed; on a VM that reports free pages to its host (ours does), touching such memory
    again costs a host fault per page, which took longer than the work itself (docs/integrity.md).
    Inside this block glibc serves every size from its heap and never trims it, and Arrow
    allocates through glibc too, so freed blocks are reused hot. Other platforms: no change.
    """
    libc = glibc()
    if libc is None:
        yield
        return
    state = _RETENTION
    with state.lock:
        state.users += 1
        if state.users == 1:
            libc.mallopt(_M_MMAP_MAX, 0)
            libc.mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(2**31 - 1))
            libc.mallopt(_M_ARENA_MAX, 1)  # threads started from now on share the heap
            state.pool = pa.default_memory_pool()
            pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        with state.lock:
            state.users -= 1
            if state.users == 0:
                pa.set_memory_pool(state.pool)
                libc.mallopt(_M_MMAP_MAX, _GLIBC_MMAP_MAX)
                libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_TRIM_THRESHOLD)
                libc.mallopt(_M_ARENA_MAX, 0)
                libc.malloc_trim(0)


def analyze(
    table: VoteTable,
    night: Night | None = None,
    *,
    window: str | None = None,
    seed: int = 0,
    draws: int = 200,
    thresholds: Thresholds | None = None,
) -> Report:
    """Detect abuse and campaigns in one window; with a night, measure their effect."""
    table = single_window(table, window)
    prepared = groundwork(table, list(night.couples) if night is not None else None)
    alloc = prepared.alloc
    # What the three threads above freed goes back: the detectors' temporaries are a
    # different shape, and on top of the heap as it is they set the night's peak.
    release_freed()
    # The report's counts and chart beside the detectors: they read the log and the
    # allocations only, and most of the detectors run on one core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted = pool.submit(report_extras, table, alloc)
        try:
            findings = detect(table, alloc, thresholds, prepared.identities, prepared.texting)
        finally:
            extras = counted.result()
    del prepared
    counterfactual = None
    if night is not None:
        counterfactual = effect(
            night,
            alloc,
            findings.flagged,
            findings.campaigns,
            rng=np.random.default_rng(seed),
            draws=draws,
            score=findings.score,
            strong=findings.evidence.strong() if findings.evidence is not None else None,
        )
    windows = table.window.labels()
    return Report(
        voters=extras.voters,
        ballots=extras.ballots,
        rows=len(table),
        window=windows[int(table.window.codes[0])] if len(table) else "",
        couples=alloc.couples,
        flagged_voters=sorted(alloc.voters.labels_of(np.flatnonzero(findings.flagged))),
        findings=findings,
        counterfactual=counterfactual,
        timeline=extras.timeline,
        reasons={name: int(mask.sum()) for name, mask in findings.reasons.items()},
        voter_ids=alloc.voters,
    )


@dataclass(frozen=True)
class Groundwork:
    """What the detectors start from: the allocations, the identity strings' values and the
    texters' signals."""

    alloc: Allocations
    identities: IdentityValues
    texting: TextingSignals


def groundwork(table: VoteTable, couples: list[str] | None = None) -> Groundwork:
    """``allocations`` then ``texting_signals`` (numpy) beside ``identity_values`` (Arrow
    string kernels).

    They share nothing and release the GIL, so on two cores they overlap, and the two
    threads' shares take about as long on a big night.
    """
    # The allocations and the texters in a worker; the identity strings here, e-mails then
    # addresses (in a third thread the addresses' temporaries came on top of the other two:
    # the step's memory peak). Here: the biggest Arrow buffers reuse what the read freed in
    # this thread (see retained_memory).
    with ThreadPoolExecutor(max_workers=1) as pool:
        counted = pool.submit(_allocations_and_texting, table, couples)
        try:
            values = identity_values(table)
        finally:
            alloc, texting = counted.result()
    return Groundwork(alloc=alloc, identities=values, texting=texting)


def _allocations_and_texting(
    table: VoteTable, couples: list[str] | None
) -> tuple[Allocations, TextingSignals]:
    alloc = allocations(table, couples)
    return alloc, texting_signals(table, alloc)


@dataclass(frozen=True)
class ReportExtras:
    """What the report says beside the findings: who voted, how many ballots, when."""

    voters: int
    ballots: int
    timeline: dict[str, Any]


def report_extras(table: VoteTable, alloc: Allocations) -> ReportExtras:
    return ReportExtras(
        voters=_distinct(table.voter.codes, alloc.n_voters),
        ballots=_distinct(table.ballot.codes, len(table.ballot)),
        timeline=timeline(table, alloc),
    )


def _distinct(codes: Any, size: int) -> int:
    """How many distinct codes in ``[0, size)`` occur: a mark per code, no sort or hash."""
    seen = np.zeros(size, dtype=bool)
    seen[codes] = True
    return int(np.count_nonzero(seen))


_SLICE = 1 << 22


def timeline(table: VoteTable, alloc: Allocations, minutes: int = 5) -> dict[str, Any]:
    """Counted votes per couple per ``minutes`` slot (for the votes-over-time chart)."""
    if not len(table):
        return {"start": None, "slot_minutes": minutes, "series": {}}
    start = int(table.ts_us.min())
    names = table.couple.labels()
    column = {name: i for i, name in enumerate(alloc.couples)}
    remap = np.asarray([column.get(name, 0) for name in names], dtype=np.int64)
    width = len(alloc.couples)
    step = minutes * 60_000_000
    # In slices of rows, so that the 8-byte temporaries stay small however long the night.
    parts = [slice(begin, begin + _SLICE) for begin in range(0, len(table), _SLICE)]
    last = max(
        (
            int(table.ts_us[part][alloc.kept[part]].max())
            for part in parts
            if alloc.kept[part].any()
        ),
        default=None,
    )
    slots = (last - start) // step + 1 if last is not None else 1
    counts = np.zeros(slots * width, dtype=np.float64)
    for part in parts:
        kept = alloc.kept[part]
        slot = (table.ts_us[part][kept] - start) // step
        key = slot * width + remap[table.couple.codes[part][kept]]
        counts += np.bincount(key, weights=table.votes[part][kept], minlength=slots * width)
    grid = np.rint(counts).reshape(slots, width).astype(np.int64)
    return {
        "start": ts_to_datetime(start).isoformat().replace("+00:00", "Z"),
        "slot_minutes": minutes,
        "series": {name: grid[:, i].tolist() for i, name in enumerate(alloc.couples)},
    }
