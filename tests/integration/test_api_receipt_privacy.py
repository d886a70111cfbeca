"""A receipt shows its own ballot; the chain opens after the reveal (issue 17, item 3).

Before: ``GET /api/v1/receipts/{hash}`` answered the ballot's ``prev_hash``, so anyone holding
one receipt could walk the whole live log backwards (2,000 ballots, allocations and times in
seconds) and read the running vote during the show. Now, until the night's results are
revealed, a receipt names no other ballot; after the reveal the chain walk is open, as the
published log is.
"""

from __future__ import annotations

import re
from typing import Any

from api_support import WINDOW, Api, api

__all__ = ["api"]  # the fixture, imported for pytest

_HASH = re.compile(r"^[0-9a-f]{64}$")


def _other_hashes(body: Any, own: str) -> set[str]:
    """Every 64-hex value in the reply other than the receipt's own hash."""
    found: set[str] = set()
    values = body.values() if isinstance(body, dict) else body if isinstance(body, list) else []
    for value in values:
        if isinstance(value, str) and _HASH.match(value) and value != own:
            found.add(value)
        elif isinstance(value, (dict, list)):
            found |= _other_hashes(value, own)
    return found


def test_before_the_reveal_a_receipt_leads_nowhere_after_it_the_chain_opens(api: Api) -> None:
    producer = api.producer()
    api.open_night(producer)
    receipts = [
        api.ballot(api.voter(f"fan{n}@example.com"), {"robert": n + 1}, f"k{n}").json()
        for n in range(3)
    ]
    last = receipts[-1]["hash"]
    live = api.client.get(f"/api/v1/receipts/{last}")
    assert live.status_code == 200, live.text
    assert live.json()["ok"] is True
    assert live.json()["allocation"] == {"robert": 3}
    assert _other_hashes(live.json(), last) == set()

    api.client.post(f"/api/v1/windows/{WINDOW}/close", headers=producer)
    assert _other_hashes(api.client.get(f"/api/v1/receipts/{last}").json(), last) == set()
    api.key_every_score(producer)
    assert api.client.post(f"/api/v1/nights/{WINDOW}/lock", headers=producer).status_code == 200
    assert api.client.post(f"/api/v1/nights/{WINDOW}/results", headers=producer).status_code == 200
    assert _other_hashes(api.client.get(f"/api/v1/receipts/{last}").json(), last) == set()
    assert api.client.post(f"/api/v1/nights/{WINDOW}/reveal", headers=producer).status_code == 200

    walked = []
    at = last
    while True:
        entry = api.client.get(f"/api/v1/receipts/{at}").json()
        walked.append(entry["hash"])
        if entry["seq"] == 1:
            break
        at = entry["prev_hash"]
    assert walked == [r["hash"] for r in reversed(receipts)]
