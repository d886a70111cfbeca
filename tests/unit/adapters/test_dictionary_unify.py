"""``unify_dictionaries`` gives what Arrow's ``dictionary_encode`` of the dictionaries gives."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.adapters import dictionary_unify
from ballroom.adapters.dictionary_unify import string_hashes, unify_dictionaries


def _arrow(dictionaries: list[Any]) -> tuple[list[str], list[int]]:
    present = [values for values in dictionaries if len(values)]
    if not present:
        return [], []
    encoded = pc.dictionary_encode(pa.chunked_array(present, type=pa.string()))
    codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in encoded.chunks])
    return encoded.chunks[-1].dictionary.to_pylist(), codes.tolist()


def _ours(dictionaries: list[Any]) -> tuple[list[str], list[int]]:
    values, codes = unify_dictionaries(dictionaries)
    assert codes.dtype == np.int32
    assert values.type == pa.string()
    return values.to_pylist(), codes.tolist()


# Short alphabets and lengths around the 8-byte words: repeats across chunks, strings that end
# inside, at and past a word, empty strings, multi-byte characters.
_strings = st.text(alphabet="ab\u00e9\u4e2d@.", max_size=19)
_chunks = st.lists(st.lists(_strings, max_size=12, unique=True), max_size=5)


@settings(max_examples=300, deadline=None)
@given(_chunks)
def test_same_values_and_codes_as_arrow(chunks: list[list[str]]) -> None:
    dictionaries = [pa.array(chunk, type=pa.string()) for chunk in chunks]
    assert _ours(dictionaries) == _arrow(dictionaries)


@settings(max_examples=100, deadline=None)
@given(_chunks, st.data())
def test_sliced_arrays(chunks: list[list[str]], data: st.DataObject) -> None:
    """Arrays that are slices of bigger ones (an offset into shared buffers)."""
    dictionaries = []
    for chunk in chunks:
        whole = pa.array(["pad-before", *chunk, "pad-after"], type=pa.string())
        dictionaries.append(whole.slice(1, len(chunk)))
    assert _ours(dictionaries) == _arrow(dictionaries)
    assert data is not None


def test_every_hash_colliding_still_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal hashes only make strings candidates: they are compared exactly."""

    def constant(strings: Any) -> npt.NDArray[np.uint64]:
        return np.zeros(len(strings), dtype=np.uint64)

    monkeypatch.setattr(dictionary_unify, "string_hashes", constant)
    dictionaries = [
        pa.array(["x", "yy", ""], type=pa.string()),
        pa.array(["yy", "z"], type=pa.string()),
        pa.array(["", "x", "w"], type=pa.string()),
    ]
    assert _ours(dictionaries) == _arrow(dictionaries)
    assert _ours(dictionaries) == (["x", "yy", "", "z", "w"], [0, 1, 2, 1, 3, 2, 0, 4])


def test_disjoint_dictionaries_laid_end_to_end() -> None:
    dictionaries = [pa.array([f"v{i}" for i in range(k, k + 50)]) for k in (0, 50, 100)]
    values, codes = unify_dictionaries(dictionaries)
    assert values.to_pylist() == [f"v{i}" for i in range(150)]
    assert codes.tolist() == list(range(150))


def test_nothing_to_unify() -> None:
    values, codes = unify_dictionaries([pa.array([], type=pa.string())])
    assert len(values) == 0
    assert len(codes) == 0
    assert unify_dictionaries([])[0].type == pa.string()


def test_past_one_arrays_offsets_arrows_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strings too many for one array's int32 offsets: Arrow's hash table, same answer."""
    monkeypatch.setattr(dictionary_unify, "_MAX_BYTES", 1)
    dictionaries = [pa.array(["a", "bb"]), pa.array(["bb", "c"])]
    assert _ours(dictionaries) == (["a", "bb", "c"], [0, 1, 1, 2])


@given(st.lists(_strings, min_size=1, max_size=30))
def test_equal_strings_equal_hashes(strings: list[str]) -> None:
    hashes = string_hashes(pa.array(strings + strings[::-1], type=pa.string()))
    assert hashes[: len(strings)].tolist() == hashes[len(strings) :][::-1].tolist()


def test_hashes_tell_strings_of_one_word_apart() -> None:
    words = [f"{i:08d}" for i in range(10_000)] + ["", "a", "a\0", "\0"]
    hashes = string_hashes(pa.array(words, type=pa.string()))
    assert len(np.unique(hashes)) == len(words)


def test_many_repeats_filtered_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row groups that share most values (small row groups): the repeats cut by one filter."""
    monkeypatch.setattr(dictionary_unify, "_FEW_DROPPED", 1)
    dictionaries = [pa.array(["a", "b", "c"]), pa.array(["c", "b", "d"]), pa.array(["a", "e"])]
    assert _ours(dictionaries) == _arrow(dictionaries)
    assert _ours(dictionaries) == (["a", "b", "c", "d", "e"], [0, 1, 2, 2, 1, 3, 0, 4])
