"""Request dependencies: the container and the caller behind a bearer token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ballroom.services.accounts import Principal

if TYPE_CHECKING:
    from ballroom.bootstrap import App

bearer = HTTPBearer(
    auto_error=False,
    description="A session token from /api/v1/sessions "
    "(producers, judges) or /api/v1/accounts/verify (voters).",
)


def container(request: Request) -> App:
    """The wired services of this app."""
    app: App = request.app.state.container
    return app


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The authenticated caller; 401 with a specific code otherwise."""
    token = credentials.credentials if credentials is not None else None
    return container(request).accounts.authenticate(token)


def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal | None:
    """The caller if a token was sent (public pages show more to producers)."""
    if credentials is None:
        return None
    return container(request).accounts.authenticate(credentials.credentials)


Caller = Annotated[Principal, Depends(principal)]
MaybeCaller = Annotated[Principal | None, Depends(optional_principal)]
