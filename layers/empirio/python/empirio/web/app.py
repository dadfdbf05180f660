"""The app factory every family uses, so all apps share error handling and request ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response

from empirio.observability import current_request_id, install_redaction
from empirio.web.errors import install_error_handlers


def create_app(
    *routers: APIRouter,
    title: str = "EmpirioLabs API",
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
) -> FastAPI:
    """A FastAPI app serving ``routers``; every response carries ``x-request-id``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for hook in on_shutdown:
            await hook()

    install_redaction()
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    install_error_handlers(app)

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request_id = f"req_{uuid.uuid4().hex}"
        request.state.request_id = request_id
        current_request_id.set(request_id)
        response = await call_next(request)
        response.headers["x-request-id"] = request_id
        return response

    for router in routers:
        app.include_router(router)
    return app


def router_routes(router: APIRouter) -> set[tuple[str, str]]:
    """(method, path) of every route a router serves (the HEAD that comes implicitly with a GET left out)."""
    pairs = set()
    for route in router.routes:
        methods = getattr(route, "methods", None) or set()
        for method in methods:
            if method != "HEAD" or "GET" not in methods:
                pairs.add((method, getattr(route, "path", "")))
    return pairs
