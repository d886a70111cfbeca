"""The export's CSV times: the text ``pyarrow.compute.strftime`` gives every row, made once
per distinct second."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st

from ballroom.services.exports import csv_times

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# 1900 to 2200, both sides of the epoch, microseconds anywhere in a second.
_TS = st.integers(min_value=-2_208_988_800_000_000, max_value=7_258_118_400_000_000)


@given(st.lists(_TS, max_size=50), st.integers(min_value=0, max_value=3))
def test_csv_times_are_strftimes_text(values: list[int], repeats: int) -> None:
    ts_us = np.array(values * (repeats + 1), dtype=np.int64)
    expected = pc.strftime(pa.array(ts_us, pa.timestamp("us", tz="UTC")), format=_FORMAT)
    assert csv_times(ts_us).to_pylist() == expected.to_pylist()


def test_times_in_one_second_share_its_text_and_keep_their_microseconds() -> None:
    base = 1_759_881_600_000_000
    ts_us = np.array([base + 999_999, base, base + 1, base - 1], dtype=np.int64)
    assert csv_times(ts_us).to_pylist() == [
        "2025-10-08T00:00:00.999999Z",
        "2025-10-08T00:00:00.000000Z",
        "2025-10-08T00:00:00.000001Z",
        "2025-10-07T23:59:59.999999Z",
    ]
