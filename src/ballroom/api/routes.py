"""The JSON API under /api/v1: each route turns a request into one service call.

No rule lives here: eligibility, caps, windows, roles and score rules are the services'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from ballroom.api import voting_bridge
from ballroom.api.deps import Caller, Container, MaybeCaller, WindowId, bearer
from ballroom.api.models import (
    BallotBody,
    LockBody,
    LoginBody,
    ScheduleBody,
    ScoreBody,
    SignInBody,
    SignUpBody,
    SmsMessageBody,
    VerifyBody,
)
from ballroom.api.responses import JSONBody, error_responses
from ballroom.services.sms_gateway import SIGNATURE_HEADER, TIMESTAMP_HEADER

router = APIRouter(prefix="/api/v1", default_response_class=JSONBody)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A client-chosen key; a retry with the same key returns the first answer.",
    ),
]

ERRORS = error_responses(
    (400, "Malformed request"),
    (401, "Missing, forged, revoked or expired token"),
    (403, "Not allowed for this role"),
    (404, "Unknown id"),
    (409, "State forbids it"),
    (413, "Body too large"),
    (422, "Invalid field"),
    (429, "Too many attempts"),
)


def _link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to another operation of this API (clients and the stateful fuzzer
    follow it with values from the response or the request)."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method}",
        "description": description,
        "parameters": parameters,
    }


def _event_stream(events: AsyncIterator[bytes]) -> StreamingResponse:
    """Server-sent events, never cached nor buffered by a proxy on the way."""
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _with_links(
    errors: dict[int | str, dict[str, Any]], status: int, **links: dict[str, Any]
) -> dict[int | str, dict[str, Any]]:
    return {**errors, status: {"description": "Successful Response", "links": links}}


SIGN_UP_ERRORS = ERRORS | error_responses((503, "The mail relay did not take the code; ask again"))


# -- accounts ----------------------------------------------------------------------------


@router.post("/accounts", status_code=202, tags=["accounts"], responses=SIGN_UP_ERRORS)
def sign_up(body: SignUpBody, request: Request, app: Container) -> dict[str, Any]:
    """Sign up (or sign in again) for online voting; a one-time code is emailed.

    The reply is the same whether the address is new or known. Codes are limited per
    address and connection (and, more loosely, per address and per connection)."""
    return app.accounts.sign_up(
        body.email, body.age, body.region, client=_client(request)
    ).as_dict()


@router.post("/accounts/sign-in", status_code=202, tags=["accounts"], responses=SIGN_UP_ERRORS)
def sign_in(body: SignInBody, request: Request, app: Container) -> dict[str, Any]:
    """Sign in again as a voter who has signed up before: a one-time code is emailed (no age
    or region asked again). The reply is the same for an address that has not signed up
    (that address is emailed how to sign up), so it never tells who is registered."""
    return app.accounts.sign_in(body.email, client=_client(request)).as_dict()


@router.post("/accounts/verify", tags=["accounts"], responses=ERRORS)
def verify(body: VerifyBody, request: Request, app: Container) -> dict[str, Any]:
    """Confirm the emailed code; answers a voter session token. Wrong codes are limited per
    address and connection, so nobody else's guesses can lock a voter out."""
    return app.accounts.verify(body.email, body.code, client=_client(request)).as_dict()


@router.post("/sessions", status_code=201, tags=["accounts"], responses=ERRORS)
def log_in(body: LoginBody, request: Request, app: Container) -> dict[str, Any]:
    """Log in as a producer or judge. Failed logins are limited per name and connection,
    per connection and per name (429 `rate_limited` for 15 minutes)."""
    return app.accounts.log_in(body.name, body.password, client=_client(request)).as_dict()


def _client(request: Request) -> str:
    """The caller's network address (behind a proxy: as the server is told to trust it)."""
    return request.client.host if request.client else ""


@router.delete(
    "/sessions/current",
    status_code=204,
    tags=["accounts"],
    responses=ERRORS,
    dependencies=[Depends(bearer)],
)
def log_out(request: Request, app: Container) -> Response:
    """Revoke the token this request carries."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    app.accounts.log_out(token if scheme.lower() == "bearer" else None)
    return Response(status_code=204)


@router.get("/me", tags=["accounts"], responses=ERRORS)
def me(who: Caller) -> dict[str, Any]:
    """Who the token belongs to."""
    return {
        "role": who.role.value,
        "id": who.id,
        "name": who.name,
        "judge": who.judge,
        "verified": who.verified,
    }


@router.get("/outbox", tags=["control"], responses=ERRORS)
def outbox(
    who: Caller, app: Container, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> dict[str, Any]:
    """The development mail outbox (producers)."""
    return {"messages": app.accounts.outbox_messages(who, limit=limit)}


@router.get("/audit", tags=["control"], responses=ERRORS)
def audit(
    who: Caller, app: Container, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """The audit log of producer and judge actions, newest first (producers)."""
    return {"entries": app.control.audit(who, limit=limit)}


# -- nights, scores, results -------------------------------------------------------------


@router.get("/nights", tags=["nights"], responses=ERRORS)
def list_nights(app: Container) -> dict[str, Any]:
    """Every week of the season and where its night stands."""
    season = app.control.season
    return {
        "season": season.id,
        "name": season.name,
        "nights": [n.as_dict(season) for n in app.control.nights()],
    }


@router.get(
    "/nights/current",
    tags=["nights"],
    responses=_with_links(
        ERRORS,
        200,
        WindowStatus=_link(
            "get", "/api/v1/windows/{window}", "Its voting window.", window="$response.body#/window"
        ),
        CastBallot=_link(
            "post",
            "/api/v1/windows/{window}/ballots",
            "Vote in it.",
            window="$response.body#/window",
        ),
        Scores=_link(
            "get",
            "/api/v1/nights/{window}/scores",
            "Its score sheet.",
            window="$response.body#/window",
        ),
    ),
)
def current_night(app: Container) -> dict[str, Any]:
    """Tonight's night: theme, couples with their SMS keywords, panel, rounds."""
    return app.control.current_night().as_dict(app.control.season)


@router.get("/nights/{window}", tags=["nights"], responses=ERRORS)
def get_night(window: WindowId, app: Container) -> dict[str, Any]:
    """One night of the season."""
    return app.control.night(window).as_dict(app.control.season)


@router.post("/nights/{window}/current", tags=["nights"], responses=ERRORS)
def prepare_night(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Make this night tonight's, creating its voting window (producers)."""
    return app.control.prepare_night(who, window).as_dict(app.control.season)


@router.get("/nights/{window}/scores", tags=["nights"], responses=ERRORS)
def get_scores(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """The keyed scores, totals and what is still missing (producers, judges)."""
    return app.control.scores(who, window)


@router.get(
    "/nights/{window}/scores/stream",
    tags=["nights"],
    responses=ERRORS,
    response_class=StreamingResponse,
)
async def score_stream(
    window: WindowId,
    who: Caller,
    app: Container,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """Server-sent events (producers, judges): the score sheet now, as `GET .../scores` gives
    it, then each time it changes, within a second (``limit`` ends after N events)."""
    first = await run_in_threadpool(app.control.scores, who, window)
    return _event_stream(voting_bridge.score_events(app, who, window, first, limit))


@router.put("/nights/{window}/scores", tags=["nights"], responses=ERRORS)
def key_score(window: WindowId, body: ScoreBody, who: Caller, app: Container) -> dict[str, Any]:
    """A judge keys their own score for tonight; with a reason it corrects one."""
    return app.control.key_score(
        who, window, body.couple, body.round, body.score, reason=body.reason
    )


@router.post("/nights/{window}/lock", tags=["nights"], responses=ERRORS)
def lock_scores(
    window: WindowId, who: Caller, app: Container, body: LockBody | None = None
) -> dict[str, Any]:
    """Lock the night's keyed scores (producers). With a score missing it is a 409
    `scores_incomplete`, unless each missing score's judge is declared absent with a reason."""
    absences = [(a.judge, a.reason) for a in body.absent] if body is not None else []
    return app.control.lock_scores(who, window, absences)


@router.post("/nights/{window}/results", tags=["nights"], responses=ERRORS)
def compute_results(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Compute the results by the season's rule set (producers; window closed, scores locked)."""
    return app.control.compute_results(who, window)


@router.post("/nights/{window}/reveal", tags=["nights"], responses=ERRORS)
def reveal_results(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Publish the computed results (producers)."""
    return app.control.reveal_results(who, window)


@router.get("/nights/{window}/results", tags=["nights"], responses=ERRORS)
def get_results(window: WindowId, who: MaybeCaller, app: Container) -> dict[str, Any]:
    """The night's leaderboard and why: public once revealed, with the vote log's chain root
    (the hash of its last entry, final since voting closed) that receipts are checked against."""
    result = app.control.results(who, window)
    if app.control.night(window).revealed:
        result["chain"] = voting_bridge.chain(app, window)
    return result


# -- windows and votes -------------------------------------------------------------------


@router.get("/windows/{window}", tags=["voting"], responses=ERRORS)
def window_status(window: WindowId, app: Container) -> dict[str, Any]:
    """Whether the window is open, and its couples."""
    return voting_bridge.status(app, window)


@router.get(
    "/windows/{window}/events",
    tags=["voting"],
    responses=ERRORS,
    response_class=StreamingResponse,
)
async def window_events(
    window: WindowId,
    app: Container,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """Server-sent events (public): the window's status now, then each time it changes (opened,
    closed, rescheduled, or its scheduled time passing); ``limit`` ends after N events."""
    first = voting_bridge.status(app, window)
    return _event_stream(voting_bridge.status_events(app, window, first, limit))


@router.get("/windows/{window}/ballots/mine", tags=["voting"], responses=ERRORS)
def my_ballot(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """The caller's web ballot that counts now in this window, with its receipt (voters);
    ``ballot`` is null before their first save."""
    return voting_bridge.my_ballot(app, who, window)


@router.post("/windows/{window}/open", tags=["voting"], responses=ERRORS)
def open_window(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Open voting now (producers)."""
    app.control.open_window(who, window)
    return voting_bridge.status(app, window)


@router.post("/windows/{window}/close", tags=["voting"], responses=ERRORS)
def close_window(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Close voting now (producers)."""
    app.control.close_window(who, window)
    return voting_bridge.status(app, window)


@router.post("/windows/{window}/schedule", tags=["voting"], responses=ERRORS)
def schedule_window(
    window: WindowId, body: ScheduleBody, who: Caller, app: Container
) -> dict[str, Any]:
    """Open and close at given moments, by the server's clock (producers)."""
    app.control.schedule_window(who, window, body.opens_at, body.closes_at)
    return voting_bridge.status(app, window)


@router.post(
    "/windows/{window}/ballots",
    tags=["voting"],
    responses=_with_links(
        ERRORS,
        200,
        CheckReceipt=_link(
            "get",
            "/api/v1/receipts/{ballot_hash}",
            "Check the receipt.",
            ballot_hash="$response.body#/hash",
        ),
        MyBallot=_link(
            "get",
            "/api/v1/windows/{window}/ballots/mine",
            "The ballot that counts now.",
            window="$request.path.window",
        ),
    ),
)
async def cast_ballot(
    *,
    window: WindowId,
    body: BallotBody,
    idempotency_key: IdempotencyKey,
    request: Request,
    app: Container,
    who: Caller,
) -> dict[str, Any]:
    """Save a web ballot (replaces the voter's earlier one); answers a receipt."""
    return await voting_bridge.cast_web_ballot(
        app,
        who,
        window,
        body.allocation,
        key=idempotency_key,
        ip=request.client.host if request.client else "",
        device=request.headers.get("user-agent", ""),
    )


SMS_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {
        **ERRORS[401],
        "description": "Missing, wrong or stale gateway signature (code invalid_signature)",
    },
}


@router.post(
    "/sms/inbound",
    tags=["voting"],
    responses=_with_links(
        SMS_ERRORS,
        200,
        FirstReceipt=_link(
            "get",
            "/api/v1/receipts/{ballot_hash}",
            "Check the first text's receipt.",
            ballot_hash="$response.body#/outcomes/0/receipt/hash",
        ),
    ),
)
async def sms_inbound(
    messages: Annotated[list[SmsMessageBody], Body(max_length=10_000)],
    idempotency_key: IdempotencyKey,
    app: Container,
    # Checked on the raw body by ballroom.api.sms_auth before this runs; declared here so
    # the OpenAPI document describes them.
    signature: Annotated[
        str,
        Header(
            alias=SIGNATURE_HEADER,
            max_length=200,
            description="`sha256=` and the lowercase hex HMAC-SHA256, keyed with the shared "
            "secret, of the timestamp header's value, a `.`, and the raw body.",
        ),
    ],
    timestamp: Annotated[
        str,
        Header(
            alias=TIMESTAMP_HEADER,
            max_length=12,
            description="When the batch was signed, in whole Unix seconds; more than "
            "5 minutes (the setting `sms_signature_tolerance_s`) off the server's clock "
            "is refused.",
        ),
    ],
) -> dict[str, Any]:
    """A batch of inbound texts from the SMS aggregator; one outcome and reply per text.

    Only the aggregator may call this: it signs each batch with the secret it shares with
    the server (`BALLROOM_SMS_GATEWAY_SECRET`, or the one `ballroom sms secret` prints).
    A missing, wrong or stale signature is a 401 with code `invalid_signature` and nothing
    is stored. A retry of one request with the same `Idempotency-Key` answers the first
    outcome again; the same signed request under another key is a replay, refused with a
    409 `replayed_callback`. Each text carries the aggregator's message `id` and is counted
    once per id: delivered again in any batch, it answers its first outcome and counts
    nothing. A text from a number outside the US and Puerto Rico is refused with reason
    `region`.
    """
    del signature, timestamp  # verified by the guard
    return await voting_bridge.ingest_sms(app, messages, idempotency_key)


@router.get("/windows/{window}/tallies", tags=["voting"], responses=ERRORS)
def tallies(window: WindowId, who: Caller, app: Container) -> dict[str, Any]:
    """Live counts per couple and method, and per minute (producers)."""
    return voting_bridge.tallies(app, who, window)


@router.get(
    "/windows/{window}/tallies/stream",
    tags=["voting"],
    responses=ERRORS,
    response_class=StreamingResponse,
)
async def tally_stream(
    window: WindowId,
    who: Caller,
    app: Container,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> StreamingResponse:
    """Server-sent events: the tally each time it changes (``limit`` ends after N events)."""
    first = await run_in_threadpool(voting_bridge.tallies, app, who, window)
    return _event_stream(voting_bridge.tally_events(app, window, first, limit))


@router.get("/receipts/{ballot_hash}", tags=["voting"], responses=ERRORS)
def receipt(
    ballot_hash: Annotated[str, Path(min_length=1, max_length=128)], app: Container
) -> dict[str, Any]:
    """Check a receipt: the logged ballot with that hash, if any. Its `prev_hash` is `null`
    until the night's results are revealed (the log is not public before then)."""
    return voting_bridge.receipt(app, ballot_hash)
