"""The app factory every family uses, so all apps share error handling and request ids."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from empirio import families, startup
from empirio.observability import current_request_id, install_redaction
from empirio.web.bounds import RequestBounds
from empirio.web.errors import ErrorPage, install_error_handlers
from empirio.web.text import ValidText


def create_app(
    *routers: APIRouter,
    family: str | None = None,
    title: str = "EmpirioLabs API",
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    error_pages: Mapping[str, ErrorPage] | None = None,
) -> FastAPI:
    """A FastAPI app serving ``routers`` (of ``family``, whose configuration is checked first: a bad catalog or
    a missing setting fails the Lambda's init, not the first customer's request); every response carries
    ``x-request-id``; errors under a prefix of ``error_pages`` are that family's HTML pages."""
    startup.check(families.family(family).requires if family else ())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        for hook in on_shutdown:
            await hook()

    install_redaction()
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    install_error_handlers(app, error_pages)

    app.add_middleware(ValidText)  # inside the bounds: it reads a body only once they have capped it
    app.add_middleware(RequestBounds)
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so even a refused request has an id
    for router in routers:
        app.include_router(router)
    return app


class RequestIdMiddleware:
    """Gives each request its id (``request.state.request_id``, the log context) and the ``x-request-id`` header.

    Plain ASGI, not ``@app.middleware``: a response streams through untouched, and a streamed response's own
    clean-up (settling after a disconnect) runs inside the request's lifetime rather than in a detached task.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{os.urandom(16).hex()}"  # as random as uuid4, without building a UUID
        scope.setdefault("state", {})["request_id"] = request_id
        current_request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


def router_routes(router: APIRouter) -> set[tuple[str, str]]:
    """(method, path) of every route a router serves (the HEAD that comes implicitly with a GET left out)."""
    pairs = set()
    for route in router.routes:
        methods = getattr(route, "methods", None) or set()
        for method in methods:
            if method != "HEAD" or "GET" not in methods:
                pairs.add((method, getattr(route, "path", "")))
    return pairs
