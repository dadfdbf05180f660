"""The console's side of sessions: the cookie, sign-in redirects and form CSRF checks."""

from __future__ import annotations

import time
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from empirio.context import get_context
from empirio.domain.accounts import User
from empirio.domain.sessions import COOKIE_NAME, Session, new_session
from empirio.errors import PermissionDeniedError
from empirio.web.auth import check_csrf, same_origin
from empirio.web.urls import base_path
from functions.console.render import redirect, route_path, secure

_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


def start_session(request: Request, user: User, response: Response) -> Session:
    """Create a session for ``user`` and set its cookie on ``response``."""
    settings = get_context().settings
    token, session = new_session(
        user.user_id,
        user.account_id,
        user.email,
        int(time.time()),
        settings.session_idle_seconds,
        settings.session_max_seconds,
    )
    get_context().sessions.put(session)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.session_max_seconds,
        path=base_path(request) + "/",
        httponly=True,
        secure=request.url.hostname not in _LOOPBACK,
        samesite="lax",
    )
    return session


def end_session(request: Request, response: Response) -> None:
    token = request.cookies.get(COOKIE_NAME)
    if token:
        get_context().sessions.revoke(token)
    response.delete_cookie(COOKIE_NAME, path=base_path(request) + "/", httponly=True, samesite="lax")


def sign_in_redirect(request: Request) -> Response:
    """No live session: a page load goes to the sign-in form (and back afterwards); a live update gets 401."""
    if request.headers.get("x-console-partial"):
        return secure(Response(status_code=401))
    target = route_path(request) + (f"?{request.url.query}" if request.url.query else "")
    return redirect(request, f"/console/signin?next={quote(target, safe='')}")


def check_form(request: Request, form: FormData, session: Session) -> None:
    """A console form that changes something: same origin and the session's CSRF token."""
    token = form.get("csrf_token")
    check_csrf(request, session, token if isinstance(token, str) else None)


def check_origin(request: Request) -> None:
    """Sign-in and sign-up forms (no session yet) must still come from our own pages (login CSRF)."""
    if not same_origin(request):
        raise PermissionDeniedError("Cross-site form refused.", code="csrf_failed")


def field(form: FormData, name: str, limit: int = 512, *, strip: bool = True) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return (value.strip() if strip else value)[:limit]
