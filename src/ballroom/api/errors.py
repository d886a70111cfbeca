"""The ONE place where errors become HTTP responses.

Every error body is ``{"code": ..., "message": ..., "field"?: ...}``. Classes of the
``ballroom.errors`` hierarchy map to status codes through :data:`STATUS` (the most specific
class listed wins); request validation, unknown routes and oversized bodies get the same
shape, and anything unexpected is a 500 with code ``internal_error`` and no traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ballroom.api.responses import JSONBody
from ballroom.errors import (
    BallroomError,
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedDocument,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger("ballroom.api")

STATUS: tuple[tuple[type[BallroomError], int], ...] = (
    (PayloadTooLarge, 413),
    (MalformedDocument, 400),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (Unauthorized, 401),
    (Forbidden, 403),
    (RateLimited, 429),
    (Unavailable, 503),
)
"""Most specific first: the first class an error is an instance of decides its status."""

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def status_of(error: BallroomError) -> int:
    """The HTTP status of a ballroom error."""
    for kind, status in STATUS:
        if isinstance(error, kind):
            return status
    return 400


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    """The one error body shape."""
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONBody(body, status_code=status, headers=headers)


def ballroom_error_response(error: BallroomError) -> Response:
    """The response for an error of the hierarchy."""
    return error_response(status_of(error), error.code, error.message, error.field)


def http_error_response(error: StarletteHTTPException) -> Response:
    """The response for Starlette's HTTP errors (404 route, 405, 413 while streaming...)."""
    code = _HTTP_CODES.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


def unexpected_response(error: BaseException) -> Response:
    """A 500 without a traceback; the error is logged."""
    log.exception("unexpected error", exc_info=error)
    return error_response(500, "internal_error", "the server failed; nothing was changed")


def from_validation(errors: Sequence[Any]) -> tuple[int, str, str, str | None]:
    """Status, code, message and field for the first of pydantic's request errors."""
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "invalid"}
    kind = str(first.get("type", ""))
    loc = [str(part) for part in first.get("loc", ())]
    where = loc[0] if loc else ""
    # "body", "query", "header", "path" locate the part; the rest is the field path.
    field = ".".join(loc[1:]) if where in ("body", "query", "header", "path", "cookie") else None
    field = field or (where if where and where != "body" else None)
    message = str(first.get("msg", "invalid value"))
    if kind == "json_invalid":
        return 400, MalformedDocument.code, f"the body is not valid JSON: {message}", None
    if kind == "missing":
        label = field or "body"
        return 422, "missing_field", f"{label} is required", field
    if field:
        message = f"{field}: {message}"
    return 422, "wrong_type", message, field


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one body shape."""

    async def ballroom_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, BallroomError)
        return ballroom_error_response(error)

    async def validation_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        status, code, message, field = from_validation(list(error.errors()))
        return error_response(status, code, message, field)

    async def http_error(_request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        return http_error_response(error)

    async def unexpected(_request: Request, error: Exception) -> Response:
        return unexpected_response(error)

    app.add_exception_handler(BallroomError, ballroom_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
