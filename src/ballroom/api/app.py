"""The ASGI app: JSON API, health check, OpenAPI docs served locally, and the four pages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import swagger_ui_bundle  # type: ignore[import-untyped]
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ballroom import __version__
from ballroom.api import errors
from ballroom.api.fast_ballots import BallotFastPath
from ballroom.api.responses import BodyLimit, JSONBody
from ballroom.api.routes import router
from ballroom.api.routes_integrity import router as integrity_router
from ballroom.api.sms_auth import SmsSignatureGuard
from ballroom.web import pages

if TYPE_CHECKING:
    from ballroom.bootstrap import App

WEB = Path(__file__).resolve().parent.parent / "web"

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ballroom API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>
"""


class BallroomAPI(FastAPI):
    """FastAPI with the body limit, the ballot fast path and the SMS-gateway signature guard
    in front of its whole middleware stack: an ordinary ballot skips the error, telemetry and
    body-limit layers FastAPI and Starlette add (a tenth of a ballot's time on the event loop
    under load); an SMS batch is authenticated on its raw bytes before anything parses it;
    everything else passes through to the usual stack untouched."""

    container: App

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        guarded = SmsSignatureGuard(stack, container=self.container)
        return BodyLimit(
            BallotFastPath(guarded, container=self.container),
            limit=self.container.settings.body_limit_bytes,
        )


def create_app(container: App) -> FastAPI:
    """The HTTP app over a wired container (see ``ballroom.bootstrap``).

    The app's lifespan starts the container's vote writer (if it is not running yet) and
    stops it on shutdown, so queued ballots are committed before the process exits.
    """

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(container.start)
        try:
            yield
        finally:
            await run_in_threadpool(container.stop)

    app = BallroomAPI(
        lifespan=lifespan,
        title="ballroom",
        version=__version__,
        summary="A live, judged competition with a capped public vote.",
        docs_url=None,
        redoc_url=None,
        default_response_class=JSONBody,
        # No OpenTelemetry here: without this FastAPI asks on every request whether one is set.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.container = container
    app.state.container = container
    errors.install(app)
    app.include_router(router)
    app.include_router(integrity_router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    app.mount(
        "/static/vendor/swagger-ui",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="swagger-ui",
    )
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> Response:
        """200 when the store answers, 503 otherwise."""
        if await run_in_threadpool(container.store_reachable):
            return JSONBody({"status": "ok"})
        return errors.error_response(503, "store_unreachable", "the database does not answer")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/vote")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(WEB / "static" / "favicon.svg", media_type="image/svg+xml")

    @app.get("/photos/{couple}", include_in_schema=False)
    async def photo(couple: str) -> Response:
        found = pages.photo_path(container, couple)
        if found is None:
            return errors.error_response(404, "not_found", "no photo of that couple")
        return FileResponse(found, headers={"Cache-Control": "public, max-age=3600"})

    for page in pages.TITLES:
        app.add_api_route(f"/{page}", _page(page), methods=["GET"], include_in_schema=False)
    return app


def _page(name: str) -> Any:
    async def page(request: Request) -> HTMLResponse:
        html = await run_in_threadpool(pages.render, request.app.state.container, name)
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    page.__name__ = f"{name}_page"
    return page


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the one error body every 4xx/5xx uses."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code."},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The field at fault, if one."},
            },
        }
        app.openapi_schema = schema
    return app.openapi_schema
