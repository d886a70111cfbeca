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
    first_row: npt.NDArray[np.int64]  # each voter's first row in the log
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
        phone=cat(table.phone),
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
    rows = np.arange(n, dtype=index)
    web_rows = ~table.sms
    # The last web row of each voter belongs to their last saved ballot (rows are in order).
    last_web = np.full(n_voters, -1, dtype=index)
    np.maximum.at(last_web, voter[web_rows], rows[web_rows])
    last_ballot = np.where(last_web >= 0, table.ballot.codes[np.maximum(last_web, 0)], -1)
    kept = table.sms | (table.ballot.codes == last_ballot[voter])
    del last_ballot
    if table.voter_first_row is not None:  # found while reading
        first_row = table.voter_first_row
    else:
        first_row = np.full(n_voters, n, dtype=index)
        np.minimum.at(first_row, voter, rows)
    del rows
    width = len(order)
    saved = kept & web_rows
    web = _capped(voter[saved], couple[saved], table.votes[saved], n_voters, width)
    del saved
    sms = _capped(voter[table.sms], couple[table.sms], table.votes[table.sms], n_voters, width)
    web_ts = np.where(last_web >= 0, table.ts_us[np.maximum(last_web, 0)], NO_TIME)
    return Allocations(
        voters=table.voter,
        couples=list(order),
        web=web,
        sms=sms,
        web_ts=web_ts.astype(np.int64),
        first_row=first_row.astype(np.int64),
        kept=kept,
    )


def _capped(
    voter: npt.NDArray[np.signedinteger[Any]],
    couple: npt.NDArray[np.signedinteger[Any]],
    votes: npt.NDArray[np.int8],
    n_voters: int,
    width: int,
) -> npt.NDArray[np.int8]:
    """Sum votes per (voter, couple) and cap at 10, as the live cap check would have."""
    out = np.zeros((n_voters, width), dtype=np.int8)
    if width == 0 or not len(voter):
        return out
    flat = out.reshape(-1)
    key_type: type[np.signedinteger[Any]] = (
        np.int32 if n_voters * width < np.iinfo(np.int32).max else np.int64
    )
    key = voter.astype(key_type) * width + couple
    flat[key] = votes
    if int(flat.sum(dtype=np.int64)) == int(votes.sum(dtype=np.int64)):
        return out  # every (voter, couple) once, each 1 to 10: nothing to add or cap
    # Some pairs repeat (texts): sum them over just the voters concerned, then cap.
    present = np.zeros(n_voters, dtype=bool)
    present[voter] = True
    who = np.flatnonzero(present)
    dense = np.cumsum(present, dtype=key_type) - 1
    sums = np.bincount(
        dense[voter].astype(key_type) * width + couple, weights=votes, minlength=len(who) * width
    )
    out[who] = np.minimum(sums, CAP).astype(np.int8).reshape(len(who), width)
    return out
