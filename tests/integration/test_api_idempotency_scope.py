"""Idempotency keys belong to the caller who chose them (issue 17, item 8).

Before: keys were global, so voter B reusing a key voter A had used got A's 409
``idempotency_mismatch`` (and a key could be spent on someone else's behalf). Now a key is
scoped to the voter: the same key from two voters is two ballots, and each voter's retry
answers that voter's own first receipt.
"""

from __future__ import annotations

from api_support import Api, api, assert_error

__all__ = ["api"]  # the fixture, imported for pytest


def test_the_same_key_from_two_voters_is_two_ballots(api: Api) -> None:
    api.open_night(api.producer())
    ann, bob = api.voter("ann@example.com"), api.voter("bob@example.com")
    first = api.ballot(ann, {"robert": 3}, "shared-key")
    assert first.status_code == 200, first.text
    second = api.ballot(bob, {"hilaria": 7}, "shared-key")
    assert second.status_code == 200, second.text
    assert second.json()["allocation"] == {"hilaria": 7}
    assert second.json()["hash"] != first.json()["hash"]
    # Each retry answers its own first receipt; a changed body is still refused.
    assert api.ballot(ann, {"robert": 3}, "shared-key").json() == first.json()
    assert api.ballot(bob, {"hilaria": 7}, "shared-key").json() == second.json()
    assert_error(api.ballot(bob, {"hilaria": 6}, "shared-key"), 409, "idempotency_mismatch")


def test_a_web_key_cannot_take_a_texts_place(api: Api) -> None:
    """A voter choosing a key shaped like an SMS text's stored key spends nothing of the
    aggregator's: the text still counts."""
    api.open_night(api.producer())
    voter = api.voter()
    text = {"id": "SM0001", "from": "+12125550100", "to": "21523", "body": "HILARIA"}
    for key in ("sms:SM0001", "batch#0"):
        assert api.ballot(voter, {"robert": 1}, key).status_code == 200
    response = api.sms([text], "batch")
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"][0]["accepted"] is True
