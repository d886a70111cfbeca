"""``normalise_phone``: one sender, one cap identity, however the number is written.

The reference is the maintained ``phonenumbers`` library (a port of Google's libphonenumber,
whose metadata the phone industry maintains): the shortcut for ``+1`` and ten digits must agree
with it on any text, every way of writing a US number must give the same identity (else one
phone would get a cap per spelling), and a number too long for its country is refused
(issue 17, item 7: ``+1212555010000`` was accepted as a new sender, and ``(212) 555-0100`` was
read as Morocco's +212).
"""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from ballroom.domain.eligibility import phone_region
from ballroom.domain.voting import AGGREGATOR_REGION, normalise_phone
from ballroom.errors import InvalidInput

_ALLOWED = re.compile(r"[0-9\s()+.-]+")


def _reference(number: str) -> str | None:
    """The library's reading: E.164 for a possible full number, else ``None``."""
    if len(number) > 40 or _ALLOWED.fullmatch(number) is None:
        return None
    try:
        parsed = phonenumbers.parse(number, AGGREGATOR_REGION)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != (
        phonenumbers.ValidationResult.IS_POSSIBLE
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _normalised(number: str) -> str | None:
    try:
        return normalise_phone(number)
    except InvalidInput:
        return None


@given(st.text(alphabet="+0123456789 ()-.x\u0663\u00b2\uff11", max_size=20))
def test_it_reads_any_text_as_the_library_does(number: str) -> None:
    assert _normalised(number) == _reference(number)


@given(st.integers(min_value=0, max_value=10**16))
def test_e164_numbers_agree_with_the_library(n: int) -> None:
    assert _normalised(f"+{n}") == _reference(f"+{n}")


_AREA = st.integers(200, 999)
_EXCHANGE = st.integers(200, 999)
_LINE = st.integers(0, 9999)


@given(_AREA, _EXCHANGE, _LINE)
def test_every_spelling_of_a_us_number_is_one_sender(area: int, exchange: int, line: int) -> None:
    spellings = [
        f"+1{area}{exchange}{line:04d}",
        f"+1 {area} {exchange} {line:04d}",
        f"({area}) {exchange}-{line:04d}",
        f"{area}-{exchange}-{line:04d}",
        f"{area}.{exchange}.{line:04d}",
        f"1-{area}-{exchange}-{line:04d}",
        f"+1 ({area}) {exchange}-{line:04d}",
    ]
    identities = {normalise_phone(spelling) for spelling in spellings}
    assert identities == {f"+1{area}{exchange}{line:04d}"}
    # ...and the region rule reads the same area code whichever spelling came in.
    assert len({phone_region(identity) for identity in identities}) == 1


@given(_AREA, _EXCHANGE, _LINE, st.integers(1, 9999))
def test_a_us_number_with_digits_to_spare_is_refused(
    area: int, exchange: int, line: int, extra: int
) -> None:
    assert _normalised(f"+1{area}{exchange}{line:04d}{extra}") is None


@given(st.text(alphabet="+0123456789 ()-.", max_size=20))
def test_normalising_twice_changes_nothing(number: str) -> None:
    once = _normalised(number)
    if once is not None:
        assert normalise_phone(once) == once
