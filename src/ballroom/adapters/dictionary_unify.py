"""One dictionary for a column read in several chunks: the distinct strings of the chunks'
dictionaries in order of first appearance, and each entry's code among them.

What ``pyarrow.compute.dictionary_encode`` of the dictionaries laid end to end gives, without
its hash table: on a big night each identity column has some 15 M strings, and inserting them
one by one into a table of that size costs a cache miss each (seconds a column, and a table of
hundreds of MB). Here each string gets a 64-bit hash computed a few bytes at a time over all
strings at once (numpy), the hashes are sorted, and only the strings whose hash occurs more
than once (the same string in several row groups, or a collision) are compared exactly, by
Arrow. Row groups of a night rarely share a value, so that set is small.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

_WORD = 8  # bytes hashed per step
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd, bits well spread (Fibonacci hashing)
_MIX_SHIFT = np.uint64(29)
_MAX_BYTES = (1 << 31) - 1  # one string array's offsets are int32
_TABLE_BITS = 20
_FEW_DROPPED = 4096  # repeats cut out as runs between them (a slice each); more: one filter
_TABLE_SIZE = 1 << _TABLE_BITS
_TABLE_MASK = np.uint64(_TABLE_SIZE - 1)


def unify_dictionaries(dictionaries: list[Any]) -> tuple[Any, npt.NDArray[np.int32]]:
    """The distinct values of ``dictionaries`` (pyarrow string arrays, no nulls) in order of
    first appearance, and each entry's code among them, the entries laid end to end (int32)."""
    present = [values for values in dictionaries if len(values)]  # none: no positions
    if not present:
        return pa.array([], type=pa.string()), np.zeros(0, dtype=np.int32)
    total = sum(len(values) for values in present)
    if (
        any(values.type != pa.string() or values.null_count for values in present)
        or sum(_data_bytes(values) for values in present) > _MAX_BYTES
        or total >= np.iinfo(np.int32).max
    ):
        return _encoded(present)
    hashes = np.concatenate([string_hashes(values) for values in present])
    ordered = np.sort(hashes)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    if not len(repeated):  # every string distinct: the dictionaries end to end
        return pa.concat_arrays(present), np.arange(total, dtype=np.int32)
    maybe = _positions_of(np.unique(repeated), hashes)  # ascending: in order of appearance
    del hashes
    bounds = np.cumsum([0] + [len(values) for values in present])
    # The strings that may repeat, compared exactly; codes in order of first appearance.
    group = pc.dictionary_encode(_take(present, bounds, maybe)).indices.to_numpy(
        zero_copy_only=False
    )
    first = np.full(int(group.max()) + 1, total, dtype=np.int64)
    np.minimum.at(first, group, maybe)
    keep = np.ones(total, dtype=bool)
    keep[maybe] = False
    keep[first] = True
    code = np.cumsum(keep, dtype=np.int32)
    code -= 1
    code[maybe] = code[first[group]]
    dropped = np.flatnonzero(~keep)
    if len(dropped) > _FEW_DROPPED:  # row groups sharing many values (small row groups)
        return pa.concat_arrays(present).filter(pa.array(keep)), code
    return _kept(present, bounds, dropped), code


def _positions_of(wanted: npt.NDArray[np.uint64], hashes: npt.NDArray[np.uint64]) -> Any:
    """Where ``hashes`` holds one of ``wanted`` (sorted, few): a bit table of their low bits
    first (a lookup in a table that stays in cache), then a binary search of the hits."""
    table = np.zeros(_TABLE_SIZE, dtype=bool)
    table[(wanted & _TABLE_MASK).astype(np.intp)] = True
    hits = np.flatnonzero(table[(hashes & _TABLE_MASK).astype(np.intp)])
    slot = np.minimum(np.searchsorted(wanted, hashes[hits]), len(wanted) - 1)
    return hits[wanted[slot] == hashes[hits]]


def _take(present: list[Any], bounds: Any, positions: Any) -> Any:
    """The strings at ``positions`` (ascending) of the arrays laid end to end."""
    parts = []
    for index, values in enumerate(present):
        low, high = np.searchsorted(positions, bounds[index : index + 2])
        if low < high:
            parts.append(values.take(pa.array(positions[low:high] - bounds[index])))
    return pa.concat_arrays(parts)


def _kept(present: list[Any], bounds: Any, dropped: Any) -> Any:
    """The arrays laid end to end without the entries at ``dropped`` (ascending, few): the
    runs between them, copied once."""
    runs = []
    for index, values in enumerate(present):
        low, high = np.searchsorted(dropped, bounds[index : index + 2])
        begin = 0
        for position in (dropped[low:high] - bounds[index]).tolist():
            runs.append(values.slice(begin, position - begin))
            begin = position + 1
        runs.append(values.slice(begin))
    return pa.concat_arrays(runs)


def string_hashes(strings: Any) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each string of a pyarrow string array (equal strings, equal hashes).

    The bytes are read 8 at a time through an unaligned view of the data buffer; a word that
    would run past the buffer's end is read from its last 8 bytes and shifted.
    """
    n = len(strings)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[
        strings.offset : strings.offset + n + 1
    ].astype(np.int64)
    base, end = int(offsets[0]), int(offsets[-1])
    length = np.diff(offsets)
    start = offsets[:-1] - base
    del offsets
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8)[base:end] if end > base else None
    if data is None or len(data) < _WORD:  # too short for one word: a padded copy
        padded = np.zeros(_WORD, dtype=np.uint8)
        if data is not None:
            padded[: len(data)] = data
        data = padded
    words = np.ndarray(
        shape=(len(data) - _WORD + 1,), dtype="<u8", buffer=data, strides=(1,)
    )  # words[p]: the 8 bytes from byte p, little-endian
    last = len(data) - _WORD
    hashes = length.astype(np.uint64) * _MULTIPLIER
    # The strings with bytes left to hash (None: all of them); an empty one is its length's.
    rows: npt.NDArray[np.intp] | None = None if length.all() else np.flatnonzero(length)
    step = 0
    while rows is None or len(rows):
        at = _WORD * step
        left = length - at if rows is None else length[rows] - at
        position = (start if rows is None else start[rows]) + at
        safe = np.minimum(position, last)
        word = words[safe] >> ((position - safe) * 8).astype(np.uint64)  # zeros past the end
        # Only the string's own bytes: the low min(left, 8) of the word (an ended string's
        # word is dropped below; numpy shifts by 64 bits or more to zero).
        drop = ((_WORD - np.minimum(left, _WORD)) * 8).astype(np.uint64)
        word = (word << drop) >> drop
        mixed = (hashes if rows is None else hashes[rows]) ^ word
        mixed *= _MULTIPLIER
        mixed ^= mixed >> _MIX_SHIFT
        if rows is None:
            # A string's hash depends on its own bytes only: those that have ended keep theirs.
            np.copyto(mixed, hashes, where=left <= 0)
            hashes = mixed
        else:
            hashes[rows] = mixed
        step += 1
        more = left > _WORD
        if rows is None and 2 * int(np.count_nonzero(more)) >= len(more):
            continue  # most go on: all strings, the ended ones unchanged (cheaper than a subset)
        rows = np.flatnonzero(more) if rows is None else rows[more]
    return hashes


def _data_bytes(strings: Any) -> int:
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)
    return int(offsets[strings.offset + len(strings)]) - int(offsets[strings.offset])


def _encoded(present: list[Any]) -> tuple[Any, npt.NDArray[np.int32]]:
    """Arrow's hash table: types or sizes the hashing above does not take."""
    encoded = pc.dictionary_encode(pa.chunked_array(present, type=pa.string()))
    remap = np.concatenate(
        [chunk.indices.to_numpy(zero_copy_only=False) for chunk in encoded.chunks]
    )
    return encoded.chunks[-1].dictionary, remap.astype(np.int32, copy=False)
