"""Request bodies of the JSON API: shapes and JSON types only, never business rules.

Strict types make ``"5"`` a wrong type instead of a silently coerced 5; unknown fields are
refused so a typo never goes unnoticed. Values (ranges, couples, eligibility) are checked by
the services, which raise the specific error.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignUpBody(_Body):
    """A viewer's sign-up for online voting."""

    email: StrictStr = Field(max_length=254, examples=["viewer@example.com"])
    age: StrictInt = Field(description="Self-declared age in years (18+ may vote).")
    region: StrictStr = Field(max_length=8, description="US, CA or PR.", examples=["US"])


class SignInBody(_Body):
    """A returning viewer asks for a new code (age and region are already on file)."""

    email: StrictStr = Field(max_length=254, examples=["viewer@example.com"])


class VerifyBody(_Body):
    """The emailed one-time code."""

    email: StrictStr = Field(max_length=254)
    code: StrictStr = Field(max_length=16, examples=["123456"])


class LoginBody(_Body):
    """A producer's or judge's name and password."""

    name: StrictStr = Field(max_length=100)
    password: StrictStr = Field(max_length=200)


class BallotBody(_Body):
    """A web ballot: votes per couple (0-10 each); it replaces the voter's earlier one."""

    allocation: dict[StrictStr, StrictInt] = Field(
        max_length=100, examples=[{"robert": 10, "alix": 3}]
    )


class SmsMessageBody(_Body):
    """One inbound text as the aggregator hands it over."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: StrictStr = Field(
        min_length=1,
        max_length=64,
        # As aggregators' ids are: letters, digits and a few separators (no control bytes).
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        description="The aggregator's own id of this inbound message (as Twilio's MessageSid or "
        "Vonage's messageId). A text is counted once per id, whatever batch or key it comes in.",
        examples=["SM5f8b1c2d3e4f"],
    )
    sender: StrictStr = Field(alias="from", max_length=32, examples=["+15551234567"])
    to: StrictStr = Field(max_length=32, examples=["21523"])
    body: StrictStr = Field(max_length=1000, examples=["HILARIA"])
    ts: AwareDatetime | None = Field(
        None, description="When the aggregator received it; the server's clock decides."
    )


class ScheduleBody(_Body):
    """When a window opens and closes (by the server's clock)."""

    opens_at: AwareDatetime
    closes_at: AwareDatetime


class AbsenceBody(_Body):
    """A judge absent from the night, and why (kept with the lock and audited)."""

    judge: StrictStr = Field(max_length=100, examples=["bruno"])
    reason: StrictStr = Field(max_length=500, examples=["taken ill before the show"])


class LockBody(_Body):
    """What a producer declares when locking: the judges absent tonight, if any."""

    absent: list[AbsenceBody] = Field(
        default_factory=list,
        max_length=20,
        description="Each missing score must belong to a judge declared here, with a reason.",
    )


class ScoreBody(_Body):
    """A judge's keyed score for one couple's dance; a ``reason`` makes it a correction."""

    couple: StrictStr = Field(max_length=64, examples=["robert"])
    round: StrictStr | None = Field(None, max_length=100, description="Tonight's round name.")
    score: StrictInt | StrictFloat = Field(examples=[8])
    reason: StrictStr | None = Field(None, max_length=500)
