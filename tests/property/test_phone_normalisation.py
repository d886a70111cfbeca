"""The E.164 fast path of ``normalise_phone`` agrees with the general rule on any text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.voting import normalise_phone
from ballroom.errors import InvalidInput

_ALLOWED = re.compile(r"[0-9\s()+.-]+")


def _reference(number: str) -> str | None:
    """The rule as written in the docstring: allowed characters only, 5 to 15 digits."""
    if _ALLOWED.fullmatch(number) is None:
        return None
    digits = re.sub(r"[^0-9]+", "", number)
    return "+" + digits if 5 <= len(digits) <= 15 else None


@given(st.text(alphabet="+0123456789 ()-.x\u0663\u00b2\uff11", max_size=20))
def test_fast_path_matches_the_rule(number: str) -> None:
    expected = _reference(number)
    try:
        got: str | None = normalise_phone(number)
    except InvalidInput:
        got = None
    assert got == expected


@given(st.integers(min_value=0, max_value=10**16))
def test_e164_numbers_come_back_unchanged(n: int) -> None:
    number = f"+{n}"
    expected = number if 5 <= len(number) - 1 <= 15 else None
    try:
        got: str | None = normalise_phone(number)
    except InvalidInput:
        got = None
    assert got == expected
