"""The guard in front of ``POST /api/v1/sms/inbound``: only the aggregator gets through.

The signature covers the raw body byte for byte, so it is checked here, on the bytes as they
arrived and before anything parses them: an unsigned caller learns nothing about the body's
validity, and nothing it sends reaches the voting service. A refusal is a 401 with code
``invalid_signature`` through the one error mapping; a signed request goes on to the route
with its body replayed. The scheme is ``ballroom.services.sms_gateway``'s.

A signed request is then claimed in the store by the digest of what its signature covers
(``ballroom.adapters.signed_callbacks``): the same signed content under another
``Idempotency-Key`` is a replay, refused with a 409 ``replayed_callback`` before anything
counts; under the same key it is the aggregator's retry and goes on (the route answers its
first outcome). Each text's own aggregator id is the second line of defence, in the writer.

When the gateway's secrets are due to be re-read from the store (a rotation made by the CLI
reaches a running server that way), the read runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from ballroom.api import errors
from ballroom.api.fast_ballots import read_body, replay_body
from ballroom.errors import BallroomError, ReplayedCallback, Unavailable
from ballroom.services.sms_gateway import SIGNATURE_HEADER, TIMESTAMP_HEADER

if TYPE_CHECKING:
    from ballroom.bootstrap import App

SMS_PATH = "/api/v1/sms/inbound"
_SIGNATURE = SIGNATURE_HEADER.lower().encode()
_TIMESTAMP = TIMESTAMP_HEADER.lower().encode()
_KEY = b"idempotency-key"
_MAX_KEY = 200  # as the route's Idempotency-Key header
log = logging.getLogger("ballroom.sms")


class SmsSignatureGuard:
    """ASGI middleware: checks the signature of every request to :data:`SMS_PATH`."""

    def __init__(self, app: ASGIApp, container: App) -> None:
        self.app = app
        self.container = container

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != SMS_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        signed: bytes | None = None
        timestamp: bytes | None = None
        key: bytes | None = None
        for name, value in scope["headers"]:
            # The first one counts, as in Starlette.
            if name == _SIGNATURE and signed is None:
                signed = value
            elif name == _TIMESTAMP and timestamp is None:
                timestamp = value
            elif name == _KEY and key is None:
                key = value
        try:
            body = await read_body(receive)
        except HTTPException as error:  # the body limit, raised while streaming
            await errors.http_error_response(error)(scope, receive, send)
            return
        gateway = self.container.sms_gateway
        if gateway.reload_due():
            await run_in_threadpool(gateway.refresh)
        try:
            gateway.check(signed, timestamp, body)
        except BallroomError as error:
            await errors.ballroom_error_response(error)(scope, receive, send)
            return
        # Without a usable key the route refuses the request (422) and nothing counts.
        if timestamp is not None and key is not None and 0 < len(key) <= _MAX_KEY:
            refusal = await self._claim(timestamp.strip(), body, key.decode("latin-1"))
            if refusal is not None:
                await errors.ballroom_error_response(refusal)(scope, receive, send)
                return
        await self.app(scope, replay_body(body, receive), send)

    async def _claim(self, stamp: bytes, body: bytes, key: str) -> BallroomError | None:
        """``ReplayedCallback`` when this signed content came first under another key."""
        digest = hashlib.sha256(stamp + b"." + body).hexdigest()
        try:
            first = await run_in_threadpool(
                self.container.sms_callbacks.claim, digest, key, int(stamp)
            )
        except Exception:  # the store's errors are many (driver, pool, network): any of them
            log.exception("could not record the SMS callback")
            return Unavailable("the vote store did not answer; send the batch again")
        if first != key:
            return ReplayedCallback(
                "this signed callback was already received under another Idempotency-Key; "
                "nothing was counted",
                field="Idempotency-Key",
            )
        return None
