"""The one exception hierarchy of ballroom.

Every error a user can cause carries a stable machine-readable ``code`` (used by the HTTP
API and printed by the CLI) and a human message. The API maps classes to status codes in
one place (``ballroom.api.errors``); the CLI exits 2 on ``InvalidInput`` and its children.

    BallroomError
    ├── InvalidInput                 the request itself is wrong (HTTP 400/422, CLI exit 2)
    │   ├── MalformedDocument        JSON/TOML/YAML/CSV that does not parse
    │   ├── MissingField             a required field is absent
    │   ├── UnknownField             a field the format does not have (a typo, usually)
    │   ├── WrongType                a field has the wrong type
    │   ├── UnknownRules             no rule set of that name
    │   ├── UnknownCouple            a couple id that the night does not know
    │   ├── UnknownJudge             a judge id that the night does not know
    │   ├── ScoreOutOfRange          a judge's score outside 1-10 (or a half where not allowed)
    │   ├── DuplicateScore           a judge scoring the same dance of a couple twice
    │   ├── UnresolvableTie          the rule needs a decision the input does not supply
    │   ├── IneligibleVoter          the voter fails the age/region rules
    │   └── PayloadTooLarge          a request body over the size limit (HTTP 413)
    ├── NotFound                     an id that does not exist (HTTP 404)
    ├── Conflict                     the state forbids the action (HTTP 409)
    │   ├── ScoreLocked              the scores of that night are locked
    │   ├── ScoresIncomplete         results asked for while a judge's score is still missing
    │   ├── WindowClosed             the voting window is not open
    │   ├── CapExceeded              the ballot would pass a voter's cap
    │   ├── IdempotencyMismatch      a reused idempotency key with a different body
    │   └── ReplayedCallback         a signed SMS callback sent again under another key
    ├── Unauthorized                 no valid credentials (HTTP 401)
    │   ├── InvalidToken             a forged, unknown or revoked session token
    │   ├── TokenExpired             a session token past its expiry
    │   ├── InvalidCode              a wrong, expired or already used one-time code
    │   ├── InvalidCredentials       a wrong name or password
    │   └── InvalidSignature         an SMS-gateway call whose signature is missing, wrong or stale
    ├── Forbidden                    credentials valid, action not allowed (HTTP 403)
    │   └── UnverifiedVoter          the voter has not confirmed the emailed code
    ├── RateLimited                  too many attempts (HTTP 429)
    ├── Unavailable                  a service the action needs is out of reach (HTTP 503)
    │   └── MailNotSent              the mail relay refused the message or could not be reached
    └── VerificationFailed           a recount that does not match what was published (exit 1)
"""

from __future__ import annotations


class BallroomError(Exception):
    """Base of every error ballroom raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        """The machine-readable form used by the API and ``--json`` outputs."""
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class InvalidInput(BallroomError):
    """The request itself is wrong; nothing was changed."""

    code = "invalid_input"


class MalformedDocument(InvalidInput):
    """A JSON, TOML, YAML or CSV document that does not parse."""

    code = "malformed_document"


class MissingField(InvalidInput):
    """A required field is absent."""

    code = "missing_field"


class UnknownField(InvalidInput):
    """A field the document's format does not have; the message names the nearest valid one."""

    code = "unknown_field"


class WrongType(InvalidInput):
    """A field holds a value of the wrong type."""

    code = "wrong_type"


class UnknownRules(InvalidInput):
    """No rule set has that name."""

    code = "unknown_rules"


class UnknownCouple(InvalidInput):
    """A couple id the night or season does not know."""

    code = "unknown_couple"


class UnknownJudge(InvalidInput):
    """A judge id the night or season does not know."""

    code = "unknown_judge"


class ScoreOutOfRange(InvalidInput):
    """A judge's score outside 1-10, or a half point where the season allows none."""

    code = "score_out_of_range"


class DuplicateScore(InvalidInput):
    """A judge scoring the same dance of the same couple twice."""

    code = "duplicate_score"


class UnresolvableTie(InvalidInput):
    """The rule set needs a decision (a save vote, a head judge) that the input lacks."""

    code = "unresolvable_tie"


class IneligibleVoter(InvalidInput):
    """The voter fails the age or region rules."""

    code = "ineligible_voter"


class NotFound(BallroomError):
    """An id that does not exist."""

    code = "not_found"


class Conflict(BallroomError):
    """The current state forbids the action."""

    code = "conflict"


class ScoreLocked(Conflict):
    """The night's scores are locked; a keyed score is final."""

    code = "score_locked"


class ScoresIncomplete(Conflict):
    """The night's results were asked for while a present judge's score is still missing."""

    code = "scores_incomplete"


class WindowClosed(Conflict):
    """The voting window is not open."""

    code = "window_closed"


class CapExceeded(Conflict):
    """The ballot would take a voter past a cap."""

    code = "cap_exceeded"


class IdempotencyMismatch(Conflict):
    """An idempotency key reused with a different request body."""

    code = "idempotency_mismatch"


class ReplayedCallback(Conflict):
    """A signed SMS-gateway callback that already came under another idempotency key."""

    code = "replayed_callback"


class Unauthorized(BallroomError):
    """No valid credentials were presented."""

    code = "unauthorized"


class Forbidden(BallroomError):
    """The credentials are valid but do not allow this action."""

    code = "forbidden"


class RateLimited(BallroomError):
    """Too many attempts in too short a time."""

    code = "rate_limited"


class Unavailable(BallroomError):
    """A service the action needs (the mail relay, ...) is out of reach; try again later."""

    code = "unavailable"


class MailNotSent(Unavailable):
    """The mail relay refused the message or could not be reached; nothing was delivered."""

    code = "mail_not_sent"


class PayloadTooLarge(InvalidInput):
    """A request body larger than the server accepts."""

    code = "payload_too_large"


class InvalidToken(Unauthorized):
    """A session token that is forged, unknown or revoked."""

    code = "invalid_token"


class TokenExpired(Unauthorized):
    """A session token past its expiry."""

    code = "token_expired"


class InvalidCode(Unauthorized):
    """A one-time code that is wrong, expired or already used."""

    code = "invalid_code"


class InvalidCredentials(Unauthorized):
    """A wrong account name or password."""

    code = "invalid_credentials"


class InvalidSignature(Unauthorized):
    """An SMS-gateway callback without a valid, fresh HMAC signature of its body."""

    code = "invalid_signature"


class UnverifiedVoter(Forbidden):
    """A voter who has not yet confirmed the emailed code."""

    code = "unverified_voter"


class VerificationFailed(BallroomError):
    """A recount of a published export that does not match it; the message names where."""

    code = "verification_failed"
