"""A night's recount on columns: the same tally as ``domain.voting.recount``, for millions of
ballots in a few bytes each (``ballroom export`` writes it, ``ballroom verify`` checks it).

The rule is the domain's: a text adds its vote; a web ballot counts until the same voter's
next web ballot replaces it, which subtracts it again at the replacing ballot's time (so the
per-minute buckets always sum to the totals). Ballots are added a batch at a time in log
order; what is kept is one seq, time and channel per ballot, one voter per web ballot (in
Arrow) and one couple and count per row. At the end one sort of the web ballots by voter finds
which replaces which, and ``numpy.bincount`` sums the rows into couples and minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ballroom.domain.voting import BUCKET_SECONDS

_BUCKET_US = BUCKET_SECONDS * 1_000_000
_DENSE_CELLS = 50_000_000  # minutes x couples summed in one array; a longer night sorts instead


class ColumnarRecount:
    """Add ballots in log order (:meth:`add`), then read the tally (:meth:`as_dict`)."""

    def __init__(self, window: str, couples: Iterable[str] = ()) -> None:
        self.window = window
        self.couples: dict[str, int] = {}  # couple -> code, in order of first appearance
        for couple in couples:
            self.couples.setdefault(couple, len(self.couples))
        self.ballots = 0
        self.version = 0
        self._sms: list[npt.NDArray[np.bool_]] = []  # per ballot
        self._ts: list[npt.NDArray[np.int64]] = []  # per ballot
        self._web_voter: list[Any] = []  # per web ballot (pyarrow strings)
        self._web_seq: list[npt.NDArray[np.int64]] = []  # per web ballot
        self._row_ballot: list[npt.NDArray[np.int32]] = []  # per row: its ballot's index
        self._row_couple: list[npt.NDArray[np.int32]] = []
        self._row_votes: list[npt.NDArray[np.int8]] = []

    def add(
        self,
        first_seq: int,
        *,
        sms: npt.NDArray[np.bool_],
        voters: Any,
        ts_us: npt.NDArray[np.int64],
        starts: npt.NDArray[np.int64],
        couples: Any,
        votes: npt.NDArray[Any],
    ) -> None:
        """Ballots ``first_seq``, ``first_seq + 1``, ... (per ballot: whether it is a text,
        its voter and time; ballot ``i``'s rows are ``starts[i]:starts[i + 1]`` of ``couples``
        (pyarrow strings) and ``votes``)."""
        n = len(sms)
        if not n:
            return
        offset = self.ballots
        web = ~sms
        self._sms.append(np.asarray(sms, dtype=bool))
        self._ts.append(np.asarray(ts_us, dtype=np.int64))
        self._web_voter.append(voters.filter(pa.array(web)))
        self._web_seq.append(np.flatnonzero(web).astype(np.int64) + offset)
        lengths = np.diff(starts)
        self._row_ballot.append(np.repeat(np.arange(offset, offset + n, dtype=np.int32), lengths))
        self._row_couple.append(self._codes(couples))
        self._row_votes.append(np.asarray(votes, dtype=np.int8))
        self.ballots += n
        self.version = first_seq + n - 1

    def _codes(self, couples: Any) -> npt.NDArray[np.int32]:
        encoded = pc.dictionary_encode(couples)
        local = np.array(
            [self.couples.setdefault(c, len(self.couples)) for c in encoded.dictionary.to_pylist()],
            dtype=np.int32,
        )
        indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        codes: npt.NDArray[np.int32] = local[indices] if len(local) else indices.astype(np.int32)
        return codes

    def replaced_at(self) -> npt.NDArray[np.int64]:
        """Per ballot (index in the log): the time of the web ballot that replaced it, -1 for
        a ballot nothing replaced (every text, and each voter's last web ballot)."""
        replaced = np.full(self.ballots, -1, dtype=np.int64)
        if not self._web_seq:
            return replaced
        ballot = np.concatenate(self._web_seq)
        if len(ballot) < 2:
            return replaced
        voters = pa.concat_arrays([chunk.cast(pa.string()) for chunk in self._web_voter])
        # Sorted by voter, ties in log order (Arrow's sort is stable): a voter's ballots in a
        # run, each followed by the one that replaced it.
        order = np.asarray(pc.array_sort_indices(voters).to_numpy(), dtype=np.int64)
        in_order = voters.take(pa.array(order))
        same = pc.equal(in_order.slice(0, len(order) - 1), in_order.slice(1))
        follows = np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
        earlier, later = ballot[order[:-1][follows]], ballot[order[1:][follows]]
        ts = np.concatenate(self._ts)
        replaced[earlier] = ts[later]
        return replaced

    def as_dict(self) -> dict[str, object]:
        """The tally as ``Tally.as_dict`` gives it (the export's ``results.json``)."""
        size = len(self.couples)
        names = sorted(self.couples, key=self.couples.__getitem__)
        web = np.zeros(size, dtype=np.int64)
        sms_total = np.zeros(size, dtype=np.int64)
        buckets: dict[int, dict[str, int]] = {}
        if self.ballots:
            sms = np.concatenate(self._sms)
            ts = np.concatenate(self._ts)
            replaced = self.replaced_at()
            sums = _BucketSums(int(ts.min()) // _BUCKET_US, int(ts.max()) // _BUCKET_US, size)
            # A batch of rows at a time: a night's rows are tens of millions.
            for row_ballot, couple, votes in zip(
                self._row_ballot, self._row_couple, self._row_votes, strict=True
            ):
                amount = votes.astype(np.int64)
                row_sms = sms[row_ballot]
                sms_total += np.bincount(couple[row_sms], amount[row_sms], size).astype(np.int64)
                row_replaced = replaced[row_ballot]
                kept = ~row_sms & (row_replaced < 0)
                web += np.bincount(couple[kept], amount[kept], size).astype(np.int64)
                # Each row adds at its ballot's minute; a replaced one subtracts at the minute
                # of the ballot that replaced it.
                sums.add(ts[row_ballot] // _BUCKET_US, couple, amount)
                gone = row_replaced >= 0
                sums.add(row_replaced[gone] // _BUCKET_US, couple[gone], -amount[gone])
            buckets = sums.by_minute(names)
        return {
            "window": self.window,
            "ballots": self.ballots,
            "version": self.version,
            "couples": {
                name: {
                    "web": int(web[code]),
                    "sms": int(sms_total[code]),
                    "total": int(web[code] + sms_total[code]),
                }
                for name, code in sorted(self.couples.items())
            },
            "buckets": [
                {
                    "start": datetime.fromtimestamp(key * BUCKET_SECONDS, UTC)
                    .isoformat()
                    .replace("+00:00", "Z"),
                    "votes": dict(sorted(votes_of.items())),
                }
                for key, votes_of in sorted(buckets.items())
            ],
        }

    def totals(self) -> dict[str, int]:
        """Each couple's web + SMS votes."""
        couples = self.as_dict()["couples"]
        assert isinstance(couples, dict)
        return {name: int(count["total"]) for name, count in couples.items()}


class _BucketSums:
    """Net votes per (minute, couple), added a batch at a time: one dense array for a night
    of ordinary length, a dict of sums for a longer one."""

    def __init__(self, first: int, last: int, couples: int) -> None:
        self.first = first
        self.size = max(couples, 1)
        cells = (last - first + 1) * self.size
        self.dense = np.zeros(cells, dtype=np.int64) if cells <= _DENSE_CELLS else None
        self.sparse: dict[int, int] = {}

    def add(
        self,
        minute: npt.NDArray[np.int64],
        couple: npt.NDArray[np.int32],
        amount: npt.NDArray[np.int64],
    ) -> None:
        cell = (minute - self.first) * self.size + couple
        if self.dense is not None:
            self.dense += np.bincount(cell, amount, len(self.dense)).astype(np.int64)
            return
        keys, inverse = np.unique(cell, return_inverse=True)
        totals = np.bincount(inverse, amount, len(keys)).astype(np.int64)
        for key, total in zip(keys.tolist(), totals.tolist(), strict=True):
            self.sparse[key] = self.sparse.get(key, 0) + total

    def by_minute(self, names: list[str]) -> dict[int, dict[str, int]]:
        """The non-zero sums by minute, then couple name (as ``TallyCounter.snapshot``)."""
        pairs: Iterable[tuple[int, int]]
        if self.dense is not None:
            keys = np.flatnonzero(self.dense)
            pairs = zip(keys.tolist(), self.dense[keys].tolist(), strict=True)
        else:
            pairs = [(key, total) for key, total in sorted(self.sparse.items()) if total]
        out: dict[int, dict[str, int]] = {}
        for key, total in pairs:
            minute, couple = divmod(key, self.size)
            out.setdefault(minute + self.first, {})[names[couple]] = total
        return out
