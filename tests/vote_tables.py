"""Comparing two ``VoteTable`` objects field by field, for the tests of their readers."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa


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
