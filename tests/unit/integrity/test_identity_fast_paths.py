"""The string-kernel fast paths of the detectors agree with the plain regular expressions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from ballroom.integrity.detectors import (
    _codes,
    _codes_of_parts,
    _ip_blocks,
    _mailbox_codes,
    _moved,
    _normalise_exactly,
    _sequential_runs,
    normalise_emails,
)

# Addresses built from the characters the rules care about, so that collisions happen.
_PIECES = st.sampled_from(
    ["a", "B", ".", "+", "@", " ", "\n", "1", "2", "3", "9", "0", "x", "İ", "é"]
)
_DOMAINS = st.sampled_from(
    ["", "@gmail.com", "@GoogleMail.com", "@googlemail.com", "@yahoo.com", "@a@b", "@x.org "]
)
_ADDRESS = st.builds(
    lambda body, domain: "".join(body) + domain, st.lists(_PIECES, max_size=8), _DOMAINS
)
_OCTET = st.one_of(st.integers(0, 999).map(str), st.sampled_from(["", "a", "١", "1\n"]))


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as groupings: the same elements share a code in both."""
    _, first_a = np.unique(a, return_inverse=True)
    _, first_b = np.unique(b, return_inverse=True)
    pairs = set(zip(first_a.tolist(), first_b.tolist(), strict=True))
    return len(pairs) == len(set(first_a.tolist())) == len(set(first_b.tolist()))


@settings(max_examples=200, deadline=None)
@given(st.lists(_ADDRESS, min_size=1, max_size=40, unique=True))
def test_normalisation_matches_the_regular_expressions(addresses: list[str]) -> None:
    fast = normalise_emails(addresses)
    exact = _normalise_exactly(pa.array(addresses, type=pa.string()))
    for got, want in zip(fast, exact, strict=True):
        assert got.to_pylist() == want.to_pylist()
    raw = pa.array(addresses, type=pa.string())
    codes = _mailbox_codes(raw, *_moved(raw, fast[0]))
    hashed = pc.dictionary_encode(exact[0]).indices.to_numpy(zero_copy_only=False)
    assert _same_partition(codes, hashed)


def _reference_runs(local: object, domain: object, empty: np.ndarray, minimum: int) -> np.ndarray:
    """The detector before its fast path: the regular expression over every address."""
    parts = pc.extract_regex(local, r"^(?P<stem>.*[^0-9])(?P<num>[0-9]{1,6})$")
    stem = pc.struct_field(parts, "stem")
    number = pc.fill_null(pc.cast(pc.struct_field(parts, "num"), pa.int64()), -1)
    key = pc.dictionary_encode(pc.fill_null(pc.binary_join_element_wise(stem, domain, "@"), ""))
    code = key.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    has = ~pc.is_null(stem).to_numpy(zero_copy_only=False) & ~empty
    voter_key = np.where(has, code, -1)
    counts = np.bincount(voter_key[has], minlength=1)
    voter_key = np.where(has & (counts[np.maximum(voter_key, 0)] >= minimum), voter_key, -1)
    num = number.to_numpy(zero_copy_only=False)
    out = np.full(len(code), -1, dtype=np.int64)
    idx = np.flatnonzero(voter_key >= 0)
    order = idx[np.lexsort((num[idx], voter_key[idx]))]
    k, n = voter_key[order], num[order]
    close = (k[1:] == k[:-1]) & (n[1:] - n[:-1] <= 2)
    run = np.concatenate([[0], np.cumsum(~close)]) if len(order) else np.zeros(0, np.int64)
    keep = np.bincount(run)[run] >= minimum if len(order) else np.zeros(0, bool)
    out[order[keep]] = run[keep]
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(_ADDRESS, min_size=1, max_size=40, unique=True), st.integers(1, 3))
def test_sequential_names_match_the_regular_expression(addresses: list[str], minimum: int) -> None:
    _, domain, local = normalise_emails(addresses)
    empty = pc.equal(pc.utf8_trim_whitespace(pa.array(addresses)), "").to_numpy(
        zero_copy_only=False
    )
    got = _sequential_runs(local, domain, np.arange(len(addresses)), empty, minimum)
    want = _reference_runs(local, domain, empty, minimum)
    assert ((got >= 0) == (want >= 0)).all()
    assert _same_partition(got[got >= 0], want[want >= 0])


def test_sequential_runs_found_on_a_known_farm() -> None:
    addresses = ["jsmith01@x.com", "jsmith02@x.com", "jsmith03@x.com", "jsmith1234567@x.com"]
    _, domain, local = normalise_emails(addresses)
    got = _sequential_runs(local, domain, np.arange(4), np.zeros(4, dtype=bool), 3)
    assert (got[:3] >= 0).all()
    assert got[3] == -1


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.lists(_OCTET, min_size=1, max_size=5).map(".".join),
            st.sampled_from(["2001:db8:0:1:5::1", "fe80::1", "a:b:c:d:e", ""]),
        ),
        min_size=1,
        max_size=30,
        unique=True,
    )
)
def test_ip_blocks_match_the_regular_expressions(ips: list[str]) -> None:
    array = pa.array(ips, type=pa.string())
    codes, blocks = _ip_blocks(array)
    v4 = pc.replace_substring_regex(array, r"^(\d+\.\d+\.\d+)\.\d+$", r"\1.0/24")
    v6 = pc.replace_substring_regex(
        v4, r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*):.*$", r"\1::/64"
    )
    want = pc.dictionary_encode(v6)
    assert codes.tolist() == want.indices.to_pylist()
    assert blocks.to_pylist() == want.dictionary.to_pylist()


@settings(max_examples=100, deadline=None)
@given(st.lists(_ADDRESS, min_size=1, max_size=40, unique=True), st.booleans())
def test_normalised_is_blank_exactly_when_the_address_is(addresses: list[str], valid: bool) -> None:
    if valid:  # every address with exactly one '@': the single-split path
        addresses = [a for a in addresses if a.count("@") == 1] or ["a.b+c@gmail.com"]
    fast = normalise_emails(addresses)
    exact = _normalise_exactly(pa.array(addresses, type=pa.string()))
    assert fast[0].to_pylist() == exact[0].to_pylist()
    blank = pc.equal(pc.utf8_trim_whitespace(pa.array(addresses, type=pa.string())), "")
    assert pc.equal(fast[0], "").to_pylist() == blank.to_pylist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "a", "bb", "a@x", "é", "12345678", "123456789"]))))
def test_codes_of_parts_are_the_codes_of_the_whole(parts: list[list[str]]) -> None:
    """Coding slices on their own and unifying gives the codes and values of one pass."""
    arrays = [pa.array(part, type=pa.string()) for part in parts]
    codes, values = _codes_of_parts(arrays)
    if not sum(len(part) for part in parts):
        assert len(codes) == 0
        return
    whole_codes, whole_values = _codes(pa.chunked_array(arrays, type=pa.string()))
    assert codes.tolist() == whole_codes.tolist()
    assert values.to_pylist() == whole_values.to_pylist()
