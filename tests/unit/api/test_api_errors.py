"""The one place errors become HTTP: status per class, body shape, validation, body limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.exceptions import HTTPException

from ballroom import errors
from ballroom.api.errors import STATUS, error_response, from_validation, status_of
from ballroom.api.responses import BodyLimit


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.MalformedDocument("x"), 400),
        (errors.WrongType("x"), 422),
        (errors.UnknownCouple("x"), 422),
        (errors.IneligibleVoter("x"), 422),
        (errors.PayloadTooLarge("x"), 413),
        (errors.NotFound("x"), 404),
        (errors.CapExceeded("x"), 409),
        (errors.WindowClosed("x"), 409),
        (errors.ScoreLocked("x"), 409),
        (errors.IdempotencyMismatch("x"), 409),
        (errors.InvalidToken("x"), 401),
        (errors.TokenExpired("x"), 401),
        (errors.InvalidCode("x"), 401),
        (errors.UnverifiedVoter("x"), 403),
        (errors.Forbidden("x"), 403),
        (errors.RateLimited("x"), 429),
    ],
)
def test_every_error_class_has_its_status(error: errors.BallroomError, status: int) -> None:
    assert status_of(error) == status


def test_every_class_of_the_hierarchy_maps_to_a_4xx_or_is_an_outage() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    for cls in subclasses(errors.BallroomError)[1:]:
        # A service out of reach is the server's problem, never the caller's input: 503.
        expected = range(503, 504) if issubclass(cls, errors.Unavailable) else range(400, 500)
        assert status_of(cls("x")) in expected, cls
    # Most specific first: no entry is shadowed by an earlier, more general one.
    for index, (kind, _) in enumerate(STATUS):
        assert not any(issubclass(kind, earlier) for earlier, _ in STATUS[:index]), kind


def test_error_body_shape() -> None:
    response = error_response(422, "wrong_type", "age must be a number", "age")
    assert json.loads(response.body) == {
        "code": "wrong_type",
        "message": "age must be a number",
        "field": "age",
    }
    unauthorized = error_response(401, "invalid_token", "no")
    assert unauthorized.headers["www-authenticate"] == "Bearer"
    assert "field" not in json.loads(unauthorized.body)


def test_validation_errors_name_the_field() -> None:
    missing = [{"type": "missing", "loc": ("header", "Idempotency-Key"), "msg": "Field required"}]
    assert from_validation(missing) == (
        422,
        "missing_field",
        "Idempotency-Key is required",
        "Idempotency-Key",
    )
    wrong = [{"type": "int_type", "loc": ("body", "allocation", "robert"), "msg": "bad"}]
    assert from_validation(wrong)[1:] == (
        "wrong_type",
        "allocation.robert: bad",
        "allocation.robert",
    )
    broken = [{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error"}]
    assert from_validation(broken)[:2] == (400, "malformed_document")
    assert from_validation([])[0] == 422


class _Echo:
    """An ASGI app that reads the whole body and answers its length."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        size = 0
        while True:
            message = await receive()
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(size).encode()})


def _run(app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Any]:
    sent: list[Any] = []
    queue = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> Any:
        return queue.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "headers": headers}, receive, send))
    return sent


def test_body_limit_by_declared_length() -> None:
    app = BodyLimit(_Echo(), limit=10)
    sent = _run(app, [(b"content-length", b"11")], [b"x" * 11])
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["code"] == "payload_too_large"
    assert _run(app, [(b"content-length", b"oops")], [b""])[0]["status"] == 413
    assert _run(app, [(b"content-length", b"10")], [b"x" * 10])[1]["body"] == b"10"


def test_body_limit_while_streaming() -> None:
    app = BodyLimit(_Echo(), limit=10)
    assert _run(app, [], [b"x" * 5, b"x" * 5])[1]["body"] == b"10"
    with pytest.raises(HTTPException) as raised:
        _run(app, [], [b"x" * 6, b"x" * 6])
    assert raised.value.status_code == 413
