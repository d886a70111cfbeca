"""Test support for the vote log's readers: two ``VoteTable`` objects compared field by field,
and a logged ballot as the ``vote_log`` row it is stored as."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from ballroom.adapters.vote_codec import allocation_json
from ballroom.domain.voting import LogEntry, VoteMeta


def assert_same_table(expected: Any, actual: Any, where: str = "table") -> None:
    """Every field equal: numpy arrays by dtype and value, Arrow arrays by value."""
    assert type(expected) is type(actual), where
    if dataclasses.is_dataclass(expected):
        for field in dataclasses.fields(expected):
            assert_same_table(
                getattr(expected, field.name), getattr(actual, field.name), f"{where}.{field.name}"
            )
    elif isinstance(expected, np.ndarray):
        assert expected.dtype == actual.dtype, where
        assert np.array_equal(expected, actual), where
    elif isinstance(expected, pa.Array):
        assert expected.equals(actual), where
    else:
        assert expected == actual, where


def stored_row(entry: LogEntry, meta: VoteMeta) -> dict[str, object]:
    """A logged ballot and its metadata as the ``vote_log`` row the store keeps, by column."""
    return {
        "seq": entry.seq,
        "ts_us": entry.ts_us,
        "allocation": allocation_json(entry.allocation),
        "ballot_id": entry.ballot_id,
        "voter": entry.voter,
        "channel": entry.channel.value,
        "hash": entry.hash,
        "email": meta.email,
        "phone": meta.phone,
        "ip": meta.ip,
        "device": meta.device,
    }
