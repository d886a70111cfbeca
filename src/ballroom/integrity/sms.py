"""SMS abuse: SIM banks and power dialers, told apart from human fans who text ten times.

A SIM bank is a rack of SIM cards with consecutive numbers; a power dialer sends from many
numbers of one exchange. Both text at a machine's pace: gaps far shorter than a person needs
to type and send a text, or gaps so regular (after the log's timestamp resolution) that no
thumb made them. One number texting fast is one person with a fast app (the cap is per
number), so pace alone never flags: it takes many such numbers side by side — a run of
consecutive numbers, or many machine-paced numbers in one exchange.

Per texter (voter with SMS rows): texts, mean and regularity of the gaps between their own
texts (their rows sorted by voter as 8-byte keys, the voter above the row number: one sort
of plain numbers, no index arrays), their number, the run of consecutive texting numbers it
sits in, and how many machine-paced numbers share its exchange (the number without its last
four digits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.integrity.heap import release_freed

IntArray = npt.NDArray[np.signedinteger[Any]]
FloatArray = npt.NDArray[np.floating[Any]]
BoolArray = npt.NDArray[np.bool_]

MIN_TEXTS = 5  # texts before a number's pace is judged (a ballot of ten texts has nine gaps)
HUMAN_FASTEST_S = 1.5  # mean gap below this: no person types and sends that fast
REGULAR_CV = 0.1  # gaps' coefficient of variation at most this (plus resolution): a machine
RUN_GAP = 2  # numbers at most this far apart are one run (a SIM bank skips a dead card)
EXCHANGE = 10_000  # numbers sharing all but the last four digits: one exchange
EXCHANGE_CHANCE = 1e-9  # per exchange: a night has up to a million exchanges with texters
_CLOCK_SAMPLE = 1 << 20  # timestamps, spread over the log, that the clock is read from


@dataclass(frozen=True)
class Texting:
    """Per voter (NaN / -1 / False where they did not text enough to judge)."""

    texts: IntArray
    mean_gap_s: FloatArray  # between a voter's own texts, in log order
    gap_cv: FloatArray
    machine_pace: BoolArray
    number: npt.NDArray[np.int64]  # the phone as a number (-1: none or not a number)
    run: IntArray  # length of the run of consecutive texting numbers it is in (0: none)
    exchange_machines: IntArray  # machine-paced numbers in its exchange beyond chance (or 0)
    night_median_gap_s: float  # the night's texters, for comparison
    night_run_p999: int  # 99.9th percentile of run length among texters' numbers
    resolution_s: float
    run_first: npt.NDArray[np.int64]  # the first number of every run, ascending

    def machine_paced(self) -> MachineTexters:
        """The machine-paced texters alone: all that the clusters read once the evidence is
        taken (a big night's per-voter arrays are 400 MB; these voters a few per cent)."""
        voters = np.flatnonzero(self.machine_pace)
        return MachineTexters(
            voters=voters,
            texts=self.texts[voters],
            mean_gap_s=self.mean_gap_s[voters],
            gap_cv=self.gap_cv[voters],
            number=self.number[voters],
            run=self.run[voters],
            run_first=self.run_first,
            night_median_gap_s=self.night_median_gap_s,
            night_run_p999=self.night_run_p999,
            resolution_s=self.resolution_s,
        )


@dataclass(frozen=True)
class MachineTexters:
    """``Texting`` of the machine-paced voters only: each array is indexed as ``voters``
    (ascending voter codes; ``at`` finds voters' positions)."""

    voters: IntArray
    texts: IntArray
    mean_gap_s: FloatArray
    gap_cv: FloatArray
    number: npt.NDArray[np.int64]
    run: IntArray
    run_first: npt.NDArray[np.int64]
    night_median_gap_s: float
    night_run_p999: int
    resolution_s: float

    def at(self, voters: IntArray) -> IntArray:
        """Positions of ``voters`` (machine-paced ones) in these arrays."""
        found: IntArray = np.searchsorted(self.voters, voters)
        return found

    def run_start(self, numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The first number of the run each of ``numbers`` (texting numbers) is in."""
        first = self.run_first
        picked: npt.NDArray[np.int64] = first[np.searchsorted(first, numbers, "right") - 1]
        return picked


def phone_numbers(values: Any) -> npt.NDArray[np.int64]:
    """Each distinct phone string as a number (digits only; -1 when it has none or > 15)."""
    strings = pa.array(values, type=pa.string())
    # Most are "+" and digits: those need no regular expression (it was most of the time).
    bare = pc.utf8_ltrim(strings, characters="+")
    plain = pc.ascii_is_decimal(bare)
    other = pc.invert(plain)
    digits = pc.if_else(plain, bare, pa.nulls(len(strings), pa.string())).fill_null("")
    if pc.any(other).as_py():
        cleaned = pc.replace_substring_regex(pc.filter(strings, other), r"[^0-9]", "")
        digits = pc.replace_with_mask(digits, other, cleaned)
    length = pc.utf8_length(digits).to_numpy(zero_copy_only=False)
    ok = (length >= 1) & (length <= 15)
    out = np.full(len(length), -1, dtype=np.int64)
    if ok.any():
        picked = pc.filter(digits, pa.array(ok))
        out[ok] = pc.cast(picked, pa.int64()).to_numpy(zero_copy_only=False)
    return out


def allowed_sd(period: Any, resolution: float, cv: float = REGULAR_CV) -> Any:
    """The spread of a machine's gaps at ``period`` as a log with that clock shows them: its
    own jitter (``cv``) plus the clock's rounding (two roundings per gap: up to a tick)."""
    return np.sqrt((cv * period) ** 2 + (0.5 * resolution) ** 2)


def timestamp_resolution_s(ts_us: npt.NDArray[np.int64]) -> float:
    """The coarsest of 1 s, 1 ms and 1 µs that every timestamp is a multiple of."""
    if not len(ts_us):
        return 1e-6
    if not (ts_us % 1_000_000).any():
        return 1.0
    if not (ts_us % 1000).any():
        return 1e-3
    return 1e-6


def texting(
    voter_codes: IntArray,
    ts_us: npt.NDArray[np.int64],
    sms: BoolArray,
    n_voters: int,
    phone_of_voter: npt.NDArray[np.int64] | Callable[[BoolArray], npt.NDArray[np.int64]],
) -> Texting:
    """``Texting`` of every voter from the rows' voters, times and channels.

    ``phone_of_voter``: each voter's phone as a number (``phone_numbers``), or a function
    giving it for the voters in a mask (the texters: only their numbers are ever needed);
    it becomes ``Texting.number``, -1 where the voter did not text. An array is written to.
    """
    # Counted in place, 4 bytes a voter (a ``bincount`` per slice is 8 bytes a voter more).
    texts = np.zeros(n_voters, dtype=np.int32)
    for begin in range(0, len(sms), _SLICE):
        part = slice(begin, begin + _SLICE)
        np.add.at(texts, voter_codes[part][sms[part]], np.int32(1))
    judged = texts >= MIN_TEXTS
    # The rows of the voters with enough texts to judge, each as one 8-byte key: its voter
    # code above its row number. Sorted in place, the keys put each voter's texts together in
    # log order (one sort of plain numbers: no index arrays, no stable argsort passes).
    keys, row_bits = _texter_keys(voter_codes, sms, judged, int(texts[judged].sum()))
    rows_mask = np.int64((1 << row_bits) - 1)
    sample = keys[:: max(1, len(keys) // _CLOCK_SAMPLE)] & rows_mask  # in log order
    resolution = timestamp_resolution_s(ts_us[sample])
    del sample
    # Timsort: a voter's texts come in bursts, so the keys hold long ascending stretches
    # (twice as fast as numpy's default quicksort on a real-shaped night; about as fast
    # on keys in no order at all).
    keys.sort(kind="stable")
    mean = np.full(n_voters, np.nan, dtype=np.float32)  # 4 bytes a voter: 15 M voters
    cv = np.full(n_voters, np.nan, dtype=np.float32)
    # Voters a range of codes at a time, each range about _PART_ROWS texts: the gaps' 8-byte
    # temporaries stay small however big the night.
    load = np.cumsum(np.where(judged, texts, 0), dtype=np.int64)
    bounds = np.searchsorted(load, np.arange(_PART_ROWS, int(load[-1]) if n_voters else 0,
                                             _PART_ROWS), side="right")  # fmt: skip
    del load
    cuts = np.searchsorted(keys, np.asarray([0, *bounds.tolist(), n_voters], np.int64) << row_bits)
    for begin, end in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        if begin < end:
            stretch = keys[begin:end]
            _gap_stats(stretch >> row_bits, ts_us[stretch & rows_mask], mean=mean, cv=cv)
            del stretch
    del keys
    release_freed()  # the keys and the gaps' temporaries: holes later arrays do not fill
    # One tick is enough: one number's texts come from one sender, so a steady pace behind a
    # coarse clock shows as gaps of two adjacent ticks (1 and 2 s). The two-tick floor of the
    # address timing is for many people's arrivals merged, which a number never is.
    regular = (mean >= resolution) & (cv * mean <= allowed_sd(mean, resolution))
    machine = judged & ((mean < HUMAN_FASTEST_S) | regular)
    texters = texts > 0
    if callable(phone_of_voter):
        number = phone_of_voter(texters)
    else:
        number = phone_of_voter  # the caller's own array, not copied (15 M voters: 120 MB)
        number[~texters] = -1
    run, run_first = _runs(number)
    exchange_machines = _exchange_excess(number, machine, judged)
    return Texting(
        texts=texts,
        mean_gap_s=mean,
        gap_cv=cv,
        machine_pace=machine,
        number=number,
        run=run,
        exchange_machines=exchange_machines,
        night_median_gap_s=float(np.nanmedian(mean)) if np.isfinite(mean).any() else 0.0,
        night_run_p999=int(np.percentile(run[texters], 99.9)) if texters.any() else 0,
        resolution_s=resolution,
        run_first=run_first,
    )


def _texter_keys(
    voter_codes: IntArray, sms: BoolArray, judged: BoolArray, size: int
) -> tuple[npt.NDArray[np.int64], int]:
    """``(code << row_bits) | row`` for every SMS row of a judged voter, in row order (``size``
    of them), and ``row_bits``. Filled a slice of rows at a time into one array."""
    row_bits = max(1, (len(sms) - 1).bit_length())
    keys = np.empty(size, dtype=np.int64)
    at = 0
    for begin in range(0, len(sms), _SLICE):
        part = slice(begin, begin + _SLICE)
        codes = voter_codes[part]
        found = np.flatnonzero(sms[part] & judged[codes])
        here = keys[at : at + len(found)]
        np.left_shift(codes[found], row_bits, out=here, dtype=np.int64)
        here |= found + begin
        at += len(found)
    return keys, row_bits


_PART_ROWS = 1 << 21
_SLICE = 1 << 22


def _rows_of(mask: BoolArray, also: Callable[[slice], BoolArray] | None = None) -> IntArray:
    """``flatnonzero(mask & also)`` as 4-byte row numbers where they fit, a slice at a time
    (``also(part)``: the rows of ``part`` to keep, beside ``mask``)."""
    narrow = len(mask) < np.iinfo(np.int32).max
    parts: list[IntArray] = []
    for begin in range(0, len(mask), _SLICE):
        part = slice(begin, begin + _SLICE)
        keep = mask[part] if also is None else mask[part] & also(part)
        found: IntArray = np.flatnonzero(keep)
        parts.append(found.astype(np.int32) + np.int32(begin) if narrow else found + begin)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


def _exchange_excess(
    number: npt.NDArray[np.int64], machine: BoolArray, judged: BoolArray
) -> IntArray:
    """Per machine-paced voter: how many machine-paced numbers its exchange holds, where that
    is far more than the night's share of machine-paced texters predicts for the exchange's
    texters (0 otherwise).

    Gateways deliver in bursts, so some real fans' texts arrive at a machine's pace; on a big
    night any exchange with many texters then holds several. A dialer holds dozens more than
    its exchange's share: at least five, and so many that the chance of as many among the
    exchange's texters, each fast with the night's share p, is below ``EXCHANGE_CHANCE``
    (Chernoff's bound on the binomial tail: exp(-n KL(k/n || p)); a bound, so conservative).
    """
    out = np.zeros(len(number), dtype=np.int32)
    texter = (number >= 0) & judged
    if not (texter & machine).any():
        return out
    share = float(machine[texter].sum()) / float(texter.sum())
    exchange = number[texter] // EXCHANGE
    values, inverse, texters = np.unique(exchange, return_inverse=True, return_counts=True)
    machines = np.bincount(inverse, weights=machine[texter], minlength=len(values))
    rate = np.clip(machines / texters, 1e-12, 1 - 1e-12)
    p = min(max(share, 1e-12), 1 - 1e-12)
    divergence = rate * np.log(rate / p) + (1 - rate) * np.log((1 - rate) / (1 - p))
    beyond = (machines >= 5) & (rate > p) & (texters * divergence >= -np.log(EXCHANGE_CHANCE))
    idx = np.flatnonzero(texter)
    hit = beyond[inverse] & machine[idx]
    out[idx[hit]] = machines[inverse[hit]].astype(np.int32)
    return out


def _gap_stats(
    codes: IntArray, ts: npt.NDArray[np.int64], *, mean: FloatArray, cv: FloatArray
) -> None:
    """The mean and variation of each voter's gaps between texts, written at its code
    (``codes`` sorted, each voter's ``ts`` in log order)."""
    # Each voter's texts are one stretch: its gaps telescope (their sum is last minus
    # first) and their squares come from one running sum, with no per-gap grouping.
    starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
    ends = np.concatenate([starts[1:], [len(codes)]])
    owner = codes[starts]
    step = np.diff(ts).astype(np.float64) / 1e6
    squares = np.concatenate([[0.0], np.cumsum(step * step)])
    del step
    n_gaps = (ends - starts - 1).astype(np.float64)
    group_mean = (ts[ends - 1] - ts[starts]).astype(np.float64) / 1e6 / n_gaps
    group_square = (squares[ends - 1] - squares[starts]) / n_gaps
    sd = np.sqrt(np.maximum(group_square - group_mean * group_mean, 0.0))
    mean[owner] = group_mean
    cv[owner] = np.where(group_mean > 0, sd / np.maximum(group_mean, 1e-9), np.nan)


def span_of(
    voter_codes: IntArray, ts_us: npt.NDArray[np.int64], sms: BoolArray, members: BoolArray
) -> tuple[int, int, int]:
    """The first and last text of the voters in ``members`` (a mask per voter) and how many
    texts they sent (0, 0, 0 when none)."""
    rows = _rows_of(sms, lambda part: members[voter_codes[part]])
    if not len(rows):
        return 0, 0, 0
    ts = ts_us[rows]
    return int(ts.min()), int(ts.max()), len(rows)


def _runs(number: npt.NDArray[np.int64]) -> tuple[IntArray, npt.NDArray[np.int64]]:
    """Per voter: the length of the run of texting numbers (≤ ``RUN_GAP`` apart) its number
    is in (0: no number; 2 bytes a voter where every run is that short); and the first
    number of every run, ascending."""
    n = len(number)
    idx = np.flatnonzero(number >= 0)
    if not len(idx):
        return np.zeros(n, dtype=np.uint16), np.zeros(0, dtype=np.int64)
    order = idx[np.argsort(number[idx], kind="stable")]
    del idx
    values = number[order]
    step = np.diff(values)
    # The same number twice (two voter ids) stays one run; more than RUN_GAP apart starts one.
    new = np.concatenate([[True], step > RUN_GAP])
    run_first = values[new]
    del values
    label = np.cumsum(new, dtype=np.int64) - 1
    del new
    length = np.bincount(label, weights=np.concatenate([[True], step > 0]))
    del step
    narrow = np.uint16 if len(length) and length.max() <= np.iinfo(np.uint16).max else np.int32
    run: IntArray = np.zeros(n, dtype=narrow)
    run[order] = length.astype(narrow)[label]
    return run, run_first
