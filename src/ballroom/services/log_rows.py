"""A window's stored vote log with what an integrity analysis sees, and its interchange rows.

One reading of ``vote_log`` serves the export (``ballroom export``: CONTRACTS.md section 2
rows, receipts, chain) and the control room's integrity review (the same rows as a columnar
``VoteTable``), so the two can never disagree about what a stored ballot looks like.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ballroom.adapters.db import schema as db
from ballroom.adapters.interchange import COLUMNS, VoteRow, VoteTable, vote_table_from_arrow
from ballroom.adapters.votelog import allocation_from_json, log_entry_from_row
from ballroom.domain.voting import Allocation, LogEntry, VoteMeta, datetime_from_us
from ballroom.errors import NotFound

_IN_CHUNK = 500  # voters per IN (...) list: well under every driver's parameter limit


@dataclass(frozen=True)
class WindowLog:
    """A window's log entries in order, each with its origin metadata, and the window's couples."""

    window: str
    couples: list[str]
    entries: list[LogEntry]
    meta: list[VoteMeta]

    def vote_rows(self) -> Iterator[VoteRow]:
        """The interchange rows: one per couple of each ballot, in the order of the log."""
        for entry, meta in zip(self.entries, self.meta, strict=True):
            ts = datetime_from_us(entry.ts_us)
            for couple, votes in entry.allocation:
                yield VoteRow(
                    ballot_id=entry.ballot_id,
                    ts=ts,
                    window=self.window,
                    voter=entry.voter,
                    channel=entry.channel.value,
                    couple=couple,
                    votes=votes,
                    email=meta.email,
                    phone=meta.phone,
                    ip=meta.ip,
                    device=meta.device,
                )

    def vote_table(self) -> VoteTable:
        """The same rows in columns, as ``ballroom.integrity`` analyses them."""
        columns: dict[str, list[object]] = {name: [] for name in COLUMNS}
        for entry, meta in zip(self.entries, self.meta, strict=True):
            head = (entry.ballot_id, entry.ts_us, self.window, entry.voter, entry.channel.value)
            tail = (meta.email, meta.phone, meta.ip, meta.device)
            for couple, votes in entry.allocation:
                for name, value in zip(COLUMNS, (*head, couple, votes, *tail), strict=True):
                    columns[name].append(value)
        arrays = {
            name: pa.array(
                values,
                type=pa.timestamp("us", tz="UTC")
                if name == "ts"
                else pa.int8()
                if name == "votes"
                else pa.string(),
            )
            for name, values in columns.items()
        }
        return vote_table_from_arrow(pa.table(arrays), f"window {self.window}")

    def voters(self) -> set[str]:
        """Every voter with at least one ballot in the window."""
        return {entry.voter for entry in self.entries}


def window_couples(connection: sa.Connection, window: str) -> list[str]:
    """The couples of a stored window; ``NotFound`` for a window the store does not hold."""
    exists = connection.execute(sa.select(db.windows.c.id).where(db.windows.c.id == window)).first()
    if exists is None:
        raise NotFound(f"no voting window {window!r}", field="window")
    return [
        row.couple_id
        for row in connection.execute(
            sa.select(db.window_couples.c.couple_id)
            .where(db.window_couples.c.window_id == window)
            .order_by(db.window_couples.c.couple_id)
        )
    ]


def read_window_log(
    engine: sa.Engine, window: str, *, voters: Collection[str] | None = None
) -> WindowLog:
    """A window's stored log in order (only ``voters``' ballots when given)."""
    with engine.connect() as connection:
        couples = window_couples(connection, window)
        if voters is None:
            rows = _rows(connection, window, None)
        else:
            wanted = sorted(set(voters))
            rows = []
            for start in range(0, len(wanted), _IN_CHUNK):
                rows.extend(_rows(connection, window, wanted[start : start + _IN_CHUNK]))
            rows.sort(key=lambda row: row.seq)
    parsed: dict[str, Allocation] = {}  # ballots repeat shapes (10 to one couple...): parse once

    def allocation(text: str) -> Allocation:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = allocation_from_json(text)
        return found

    entries = [log_entry_from_row(row, window, allocation(row.allocation)) for row in rows]
    meta = [VoteMeta(email=r.email, phone=r.phone, ip=r.ip, device=r.device) for r in rows]
    return WindowLog(window=window, couples=couples, entries=entries, meta=meta)


def _rows(connection: sa.Connection, window: str, voters: list[str] | None) -> list[Any]:
    query = sa.select(db.vote_log).where(db.vote_log.c.window_id == window)
    if voters is not None:
        query = query.where(db.vote_log.c.voter.in_(voters))
    return list(connection.execute(query.order_by(db.vote_log.c.seq)).all())
