"""Request dependencies: the container and the caller behind a bearer token.

All are ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, and two thread
hops per ballot cost the hot path more than the vote itself. Only a token the account
service has not checked recently goes to the thread pool, for its store read.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ballroom.bootstrap import App
from ballroom.services.accounts import Principal

bearer = HTTPBearer(
    auto_error=False,
    description="A session token from /api/v1/sessions "
    "(producers, judges) or /api/v1/accounts/verify (voters).",
)


def app_of(request: Request) -> App:
    """The wired services of the app serving ``request``."""
    app: App = request.app.state.container
    return app


async def container(request: Request) -> App:
    """The wired services of this app (dependency)."""
    return app_of(request)


async def _authenticate(request: Request, token: str | None) -> Principal:
    accounts = app_of(request).accounts
    known = accounts.cached_principal(token)
    if known is not None:
        return known
    return await run_in_threadpool(accounts.authenticate, token)


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The authenticated caller; 401 with a specific code otherwise."""
    token = credentials.credentials if credentials is not None else None
    return await _authenticate(request, token)


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller if a token was sent (public pages show more to producers)."""
    if credentials is None:
        return None
    return await _authenticate(request, credentials.credentials)


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
Container = Annotated[App, Depends(container)]
WindowId = Annotated[str, Path(max_length=64, description="A night's window id, e.g. s34w04.")]
