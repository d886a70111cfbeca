"""Who may vote: the age and region rules of the public vote, as pure functions.

The show's voting terms: *eligibility is 18+, region-restricted (US, Canada, Puerto Rico
online; US/PR for SMS).* The show's official rules say the same of residence: the
50 states and DC count as the United States; the other US territories (Guam, the US Virgin
Islands, the Northern Mariana Islands, American Samoa) are not among the regions.

Online voters self-declare an age and a region at sign-up. A text has only its sender's
number: a +1 (NANP) number may belong to the US, Canada, Puerto Rico, a US territory or one of
the Caribbean countries that share the plan, and only the area code tells them apart, so the
area codes outside the US proper are bundled below (a number outside +1 is outside the US/PR).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from ballroom.errors import IneligibleVoter, MissingField, WrongType

MINIMUM_AGE = 18
"""Voters must be 18 or older (the show's voting terms)."""
MAXIMUM_AGE = 130
"""A declared age above this is a typing slip, not a voter: refused as a wrong value."""
ONLINE_REGIONS = frozenset({"US", "CA", "PR"})
"""Online voting is open to the United States, Canada and Puerto Rico (the show's voting terms)."""
SMS_REGIONS = frozenset({"US", "PR"})
"""Text voting is open to the United States and Puerto Rico only (the show's voting terms)."""

CANADIAN_AREA_CODES = frozenset(
    {
        # Alberta, British Columbia, Manitoba, New Brunswick, Newfoundland and Labrador
        "368", "403", "587", "780", "825",
        "236", "250", "257", "604", "672", "778",
        "204", "431", "584",
        "428", "506",
        "709", "879",
        # Nova Scotia and Prince Edward Island, Ontario
        "782", "902",
        "226", "249", "289", "343", "365", "382", "387", "416", "437", "519", "548", "613",
        "647", "683", "705", "742", "753", "807", "905", "942",
        # Quebec, Saskatchewan, the territories, Canada-wide non-geographic codes
        "263", "354", "367", "418", "438", "450", "468", "514", "579", "581", "819", "873",
        "306", "474", "639",
        "867",
        "600", "622",
        # Newer assignments, in libphonenumber's metadata (checked by the unit tests)
        "273", "633",
    }
)  # fmt: skip
"""NANP area codes assigned to Canada (CNAC / NANPA assignments, as of 2024, and newer ones
from libphonenumber's metadata)."""

_OTHER_NANP_AREA_CODES: Mapping[str, str] = {
    # Puerto Rico, then the US territories that are not among the regions.
    "787": "PR", "939": "PR",
    "340": "VI", "670": "MP", "671": "GU", "684": "AS",
    # The Caribbean and Atlantic countries of the plan.
    "242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "345": "KY",
    "441": "BM", "473": "GD", "649": "TC", "658": "JM", "876": "JM", "664": "MS",
    "721": "SX", "758": "LC", "767": "DM", "784": "VC", "809": "DO", "829": "DO",
    "849": "DO", "868": "TT", "869": "KN",
}  # fmt: skip

NANP_AREA_REGIONS: Mapping[str, str] = MappingProxyType(
    {**dict.fromkeys(CANADIAN_AREA_CODES, "CA"), **_OTHER_NANP_AREA_CODES}
)
"""Area code -> ISO 3166 region for the +1 numbers outside the US proper; any other +1 number
is taken as the United States (NANPA: the rest of the plan's geographic codes are US ones)."""

SMS_REGION_REPLY = (
    "Sorry, text voting is open only in the US and Puerto Rico. Your text was not counted."
)
"""The reply to a text from a number outside the SMS regions."""


def check_age(age: object) -> int:
    """The declared age as an int; ``IneligibleVoter`` (field ``age``) under 18."""
    if age is None:
        raise MissingField("age is required", field="age")
    if not isinstance(age, int) or isinstance(age, bool):
        raise WrongType("age must be a whole number of years", field="age")
    if not 0 <= age <= MAXIMUM_AGE:
        raise WrongType(f"age must be between 0 and {MAXIMUM_AGE}", field="age")
    if age < MINIMUM_AGE:
        raise IneligibleVoter(f"voters must be {MINIMUM_AGE} or older", field="age")
    return age


def normalise_region(region: object) -> str:
    """A region code as stored: stripped and upper case (``" ca "`` -> ``"CA"``)."""
    if region is None:
        raise MissingField("region is required", field="region")
    if not isinstance(region, str):
        raise WrongType("region must be a country code such as US", field="region")
    return region.strip().upper()


def check_online_eligibility(age: object, region: object) -> tuple[int, str]:
    """The age and normalised region of an online voter who may vote; ``IneligibleVoter``
    naming the field (``age`` first) otherwise."""
    years = check_age(age)
    code = normalise_region(region)
    if code not in ONLINE_REGIONS:
        allowed = ", ".join(sorted(ONLINE_REGIONS))
        raise IneligibleVoter(f"online voting is open only in {allowed}", field="region")
    return years, code


def phone_region(number: str) -> str | None:
    """The region of a normalised number (``+`` and digits, as ``normalise_phone`` gives):
    an ISO code for a +1 (NANP) number, ``None`` for any other country code."""
    if number[:2] != "+1":
        return None
    return NANP_AREA_REGIONS.get(number[2:5], "US")


@functools.lru_cache(maxsize=1 << 16)  # once per text on the bulk path; senders repeat
def sms_eligible(number: str) -> bool:
    """Whether a text from this normalised number may count (US and Puerto Rico only)."""
    return phone_region(number) in SMS_REGIONS


def check_sms_eligibility(number: str) -> None:
    """``IneligibleVoter`` (field ``phone``) for a normalised number outside US/PR."""
    if not sms_eligible(number):
        where = phone_region(number) or "outside the North American plan"
        allowed = ", ".join(sorted(SMS_REGIONS))
        raise IneligibleVoter(
            f"text voting is open only in {allowed}; {number} is {where}", field="phone"
        )
