"""The hot route, ``POST /api/v1/windows/{window}/ballots``, served without FastAPI's
per-request machinery when the request is an ordinary one.

FastAPI's routing, dependency solving, body model and response model cost several times the
vote itself (profiled under ``ballroom bench http``). This plain ASGI middleware takes a
ballot request only when nothing about it needs that machinery: a JSON body of exactly
``{"allocation": {str: int, ...}}`` (at most 100 couples), an ``Idempotency-Key`` of 1-200
characters, and a bearer token the account service accepts (checked moments ago, or
checked now in the thread pool, as the route's dependency does; a cached token in use is
re-read in the background before its entry ends). It then makes the very call
the route makes (``voting_bridge.cast_web_ballot``) and answers through the one error mapping
of ``ballroom.api.errors``. Anything else (a refused or missing token, an odd body, a wrong
content type) goes to the FastAPI route with the body replayed, so validation errors,
authentication errors and the OpenAPI description stay in one place.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ballroom.api import errors, voting_bridge
from ballroom.errors import BallroomError

if TYPE_CHECKING:
    from starlette.responses import Response

    from ballroom.bootstrap import App

_PATH = re.compile(r"^/api/v1/windows/([^/]{1,64})/ballots$")
_MAX_COUPLES = 100  # as BallotBody's allocation
_MAX_KEY = 200  # as the route's Idempotency-Key header
_WANTED = frozenset((b"authorization", b"idempotency-key", b"content-type", b"user-agent"))


class BallotFastPath:
    """ASGI middleware: serves ordinary web ballots directly; see the module docstring."""

    def __init__(self, app: ASGIApp, container: App) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                headers.setdefault(name, value)  # the first one counts, as in Starlette
        scheme, _, credentials = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        token = credentials if scheme.lower() == "bearer" else None
        raw_key = headers.get(b"idempotency-key")
        key = raw_key.decode("latin-1") if raw_key is not None else None
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0]
        json_body = content_type.strip().lower() == b"application/json"
        device = headers.get(b"user-agent", b"").decode("latin-1")
        if not token or not json_body or key is None or not 0 < len(key) <= _MAX_KEY:
            await self.app(scope, receive, send)
            return
        accounts = self.container.accounts
        who = accounts.cached_principal(token)
        if who is not None:
            if accounts.refresh_due(token):
                # Re-read ahead of the entry's end, off the request: a busy token never misses,
                # so no ballot waits for a session read (see AccountService.refresh_due).
                asyncio.get_running_loop().run_in_executor(None, accounts.refresh_session, token)
        else:
            # Not checked lately (the cache holds a token for seconds): check it now, as the
            # route's dependency would, rather than send the whole request through FastAPI.
            try:
                who = await run_in_threadpool(accounts.authenticate, token)
            except BallroomError:  # refused: the route answers, with the usual error body
                await self.app(scope, receive, send)
                return
            except Exception as error:  # the store failed: the one 500 body, as the app's
                await _answer(errors.unexpected_response(error), scope, receive, send)
                return
        try:
            body = await read_body(receive)
        except HTTPException as error:  # the body limit, raised while streaming
            await _answer(errors.http_error_response(error), scope, receive, send)
            return
        allocation = _allocation(body)
        if allocation is None:
            await self.app(scope, replay_body(body, receive), send)
            return
        client = scope.get("client")
        try:
            receipt = await voting_bridge.cast_web_ballot(
                self.container,
                who,
                match.group(1),
                allocation,
                key=key,
                ip=client[0] if client else "",
                device=device,
            )
        except BallroomError as error:
            await _answer(errors.ballroom_error_response(error), scope, receive, send)
            return
        except Exception as error:  # the one 500 body, as the app's handler
            await _answer(errors.unexpected_response(error), scope, receive, send)
            return
        content = orjson.dumps(receipt)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


async def read_body(receive: Receive) -> bytes:
    """The whole request body (what arrived, if the client went away)."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; the route would see the same
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _allocation(body: bytes) -> dict[str, int] | None:
    """``{"allocation": {str: int}}`` exactly, or ``None`` for the route to judge."""
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or len(data) != 1:
        return None
    allocation = data.get("allocation")
    if type(allocation) is not dict or len(allocation) > _MAX_COUPLES:
        return None
    for couple, votes in allocation.items():
        # type() rather than isinstance(): a JSON true must not pass as 1 (strict, as the model).
        if type(couple) is not str or type(votes) is not int:
            return None
    return allocation


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over the already read body once, then the real channel."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    await response(scope, receive, send)
