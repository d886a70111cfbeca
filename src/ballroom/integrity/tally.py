"""Per-voter allocations from a vote log, with the night's cap rules applied, in columns.

For each voter: the last *saved* web ballot (a later web ballot replaces an earlier one) and
the SMS texts added up, each capped at 10 votes per couple per method. Everything downstream
(detectors, counterfactuals, bootstraps) works on these two ``voters x couples`` matrices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ballroom.adapters.interchange import Categorical, VoteTable
from ballroom.errors import InvalidInput, UnknownCouple

CAP = 10
NO_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Allocations:
    """Cap-applied votes per voter and couple, plus when and from where each voter voted."""

    voters: Categorical  # codes are row -> voter; values index the matrices' rows
    couples: list[str]
    web: npt.NDArray[np.int8]  # voters x couples, the last saved web ballot
    sms: npt.NDArray[np.int8]  # voters x couples, texts capped at 10
    web_ts: npt.NDArray[np.int64]  # when the last web ballot was saved (NO_TIME if none)
    first_row: npt.NDArray[np.signedinteger[Any]]  # each voter's first row (int32 if it fits)
    kept: npt.NDArray[np.bool_]  # rows that count (web rows of replaced ballots do not)

    @property
    def n_voters(self) -> int:
        return len(self.web)

    def totals(self, keep: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
        """Votes per couple from the voters in ``keep`` (all voters when None)."""
        web = self.web if keep is None else self.web[keep]
        sms = self.sms if keep is None else self.sms[keep]
        total: npt.NDArray[np.int64] = web.sum(axis=0, dtype=np.int64) + sms.sum(
            axis=0, dtype=np.int64
        )
        return total

    def tallies(self, keep: npt.NDArray[np.bool_] | None = None) -> dict[str, int]:
        return dict(zip(self.couples, (int(v) for v in self.totals(keep)), strict=True))


def single_window(table: VoteTable, window: str | None = None) -> VoteTable:
    """The rows of one voting window; the analysis of a night takes exactly one."""
    names = table.window.labels()
    present = sorted({names[c] for c in np.unique(table.window.codes)}) if len(table) else []
    if window is None:
        if len(present) > 1:
            raise InvalidInput(
                f"the log holds {len(present)} windows ({', '.join(present[:5])}); "
                "pick one with --window",
                field="window",
            )
        return table
    if window not in names:
        raise InvalidInput(f"window {window!r} is not in the log", field="window")
    mask = table.window.codes == names.index(window)
    return _subset(table, mask)


def _subset(table: VoteTable, mask: npt.NDArray[np.bool_]) -> VoteTable:
    if table.per_voter:
        # Read as one window (identities per voter): the window picked is all of it.
        if not mask.all():
            raise InvalidInput("this log holds one window only", field="window")
        return table

    def cat(column: Categorical) -> Categorical:
        return replace(column, codes=column.codes[mask])

    return VoteTable(
        ballot=cat(table.ballot),
        ts_us=table.ts_us[mask],
        window=cat(table.window),
        voter=cat(table.voter),
        sms=table.sms[mask],
        couple=cat(table.couple),
        votes=table.votes[mask],
        email=cat(table.email),
        phone=None if table.phone is None else cat(table.phone),
        ip=cat(table.ip),
        device=cat(table.device),
    )


def allocations(table: VoteTable, couples: list[str] | None = None) -> Allocations:
    """Apply the cap rules to a one-window log; ``couples`` fixes the column order."""
    n = len(table)
    n_voters = len(table.voter)
    labels = table.couple.labels()
    order = couples if couples is not None else labels
    column = {name: i for i, name in enumerate(order)}
    remap = np.asarray([column.get(name, -1) for name in labels], dtype=np.int64)
    remap = remap.astype(np.int8 if len(order) < np.iinfo(np.int8).max else np.int64)
    couple = remap[table.couple.codes] if n else np.zeros(0, remap.dtype)
    if (couple < 0).any():
        first = int(np.argmax(couple < 0))
        raise UnknownCouple(
            f"row {first + 1}: couple {labels[table.couple.codes[first]]!r} is not dancing",
            field="couple",
        )
    # 4-byte temporaries where a 4-byte number holds: this runs over every row of the night.
    index: type[np.signedinteger[Any]] = np.int32 if n < np.iinfo(np.int32).max else np.int64
    voter = table.voter.codes
    sms_rows = table.sms
    # The last web row of each voter belongs to their last saved ballot (rows are in order).
    # In slices of rows, so that the temporaries stay small however long the night.
    last_web = np.full(n_voters, -1, dtype=index)
    for part in _slices(n):
        web_part = ~sms_rows[part]
        rows = np.arange(part.start, part.stop, dtype=index)
        np.maximum.at(last_web, voter[part][web_part], rows[web_part])
    last_ballot = np.where(last_web >= 0, table.ballot.codes[np.maximum(last_web, 0)], -1)
    last_ballot = last_ballot.astype(table.ballot.codes.dtype, copy=False)
    kept = np.empty(n, dtype=bool)
    for part in _slices(n):
        np.equal(table.ballot.codes[part], last_ballot[voter[part]], out=kept[part])
        kept[part] |= sms_rows[part]
    del last_ballot
    if table.voter_first_row is not None:  # found while reading
        first_row = table.voter_first_row
    else:
        first_row = np.full(n_voters, n, dtype=index)
        for part in _slices(n):
            np.minimum.at(first_row, voter[part], np.arange(part.start, part.stop, dtype=index))
    width = len(order)
    saved = kept & ~sms_rows
    web = _capped(voter, couple, table.votes, saved, n_voters=n_voters, width=width)
    del saved
    sms = _capped(voter, couple, table.votes, sms_rows, n_voters=n_voters, width=width)
    web_ts = table.ts_us[np.maximum(last_web, 0)]
    web_ts[last_web < 0] = NO_TIME
    return Allocations(
        voters=table.voter,
        couples=list(order),
        web=web,
        sms=sms,
        web_ts=web_ts.astype(np.int64, copy=False),
        first_row=first_row,
        kept=kept,
    )


_SLICE = 1 << 22


def _slices(n: int) -> list[slice]:
    return [slice(begin, min(n, begin + _SLICE)) for begin in range(0, n, _SLICE)]


def _capped(
    voter: npt.NDArray[np.signedinteger[Any]],
    couple: npt.NDArray[np.signedinteger[Any]],
    votes: npt.NDArray[np.int8],
    rows: npt.NDArray[np.bool_],
    *,
    n_voters: int,
    width: int,
) -> npt.NDArray[np.int8]:
    """Sum votes per (voter, couple) over ``rows`` and cap at 10, as the live cap check would
    have. A slice of rows at a time: no copy of the rows picked is ever whole."""
    out = np.zeros((n_voters, width), dtype=np.int8)
    if width == 0 or not rows.any():
        return out
    flat = out.reshape(-1)
    key_type: type[np.signedinteger[Any]] = (
        np.int32 if n_voters * width < np.iinfo(np.int32).max else np.int64
    )

    def picked(part: slice) -> tuple[npt.NDArray[Any], npt.NDArray[np.int8]]:
        pick = rows[part]
        return voter[part][pick].astype(key_type) * width + couple[part][pick], votes[part][pick]

    total = 0
    for part in _slices(len(rows)):
        key, value = picked(part)
        flat[key] = value
        total += int(value.sum(dtype=np.int64))
    if int(flat.sum(dtype=np.int64)) == total:
        return out  # every (voter, couple) once, each 1 to 10: nothing to add or cap
    # Some pairs repeat (texts): add them up, then cap. int32 holds 10 votes on every row of
    # a night of up to 214 M rows; int64 past that. A row of sums only for the voters with
    # such rows (texters are a fraction of the night: a sum per voter and couple of 15 M
    # voters was 660 MB); the others' rows of ``out`` are zero already.
    sum_type = np.int32 if len(rows) * CAP < np.iinfo(np.int32).max else np.int64
    has = np.zeros(n_voters, dtype=bool)
    for part in _slices(len(rows)):
        has[voter[part][rows[part]]] = True
    slot = np.cumsum(has, dtype=key_type) - 1  # per voter with rows: its row of sums
    sums = np.zeros((int(slot[-1]) + 1) * width, dtype=sum_type)
    for part in _slices(len(rows)):
        pick = rows[part]
        key = slot[voter[part][pick]] * width + couple[part][pick]
        # Values of the sums' own type: ``add.at`` with a cast (int8 into int32) leaves
        # numpy's fast path and runs ~25 times slower.
        np.add.at(sums, key, votes[part][pick].astype(sum_type))
    del slot
    np.minimum(sums, CAP, out=sums)
    out[has] = sums.reshape(-1, width)
    return out
