"""The control room's integrity panel under /api/v1/windows/{window}/integrity (producers only).

Each route is one call of ``ballroom.services.integrity_review.IntegrityReview``; the roles,
the flagged-only rule and the audit live there.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from ballroom.api.deps import Caller, Container, WindowId
from ballroom.api.responses import JSONBody, error_responses

router = APIRouter(prefix="/api/v1", default_response_class=JSONBody, tags=["integrity"])

ERRORS = error_responses(
    (400, "Malformed request"),
    (401, "Missing, forged, revoked or expired token"),
    (403, "Not a producer"),
    (404, "Unknown window or voter"),
    (409, "Voter not flagged, or the night's results are published"),
    (422, "Invalid field (action, reason, voter)"),
)


class DecisionBody(BaseModel):
    """A producer's decision on one flagged voter of the window."""

    model_config = ConfigDict(extra="forbid")

    voter: StrictStr = Field(max_length=254, description="A voter id from flagged_voters.")
    action: StrictStr = Field(
        max_length=16,
        description="void: their votes leave the night's results; clear: they stay.",
        examples=["void"],
    )
    reason: StrictStr = Field(
        max_length=2000, description="Why (required; it goes to the audit log)."
    )


@router.get("/windows/{window}/integrity", responses=ERRORS)
def integrity_report(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """The window's integrity report (docs/interfaces.md §3 and details), live, with the
    producers' decisions; flagged voters carry their evidence and counted votes."""
    return app.integrity.review(who, window)


@router.post("/windows/{window}/integrity/decisions", responses=ERRORS)
def decide(window: WindowId, body: DecisionBody, who: Caller, app: Container) -> dict[str, Any]:
    """Void or clear a flagged voter, with a reason; audited. Recompute the results to apply."""
    decision = app.integrity.decide(who, window, body.voter, body.action, body.reason)
    return decision.as_dict()
