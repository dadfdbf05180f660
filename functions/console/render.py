"""Page rendering: one Jinja2 environment (autoescaped), prefix-aware URLs, security headers, partial updates."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from empirio.web.urls import base_path
from functions.console.money import balance_html, usd_html

HERE = Path(__file__).parent
STATIC = HERE / "static"
PARTIAL_HEADER = "x-console-partial"

# No inline script anywhere: scripts and styles are files of this origin; nothing may frame the console.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def route_path(request: Request) -> str:
    """The request's path without the prefix (ASGI servers include ``root_path`` in ``path``; Mangum does not)."""
    path, base = request.url.path, base_path(request)
    return path[len(base) :] if base and path.startswith(base + "/") else path


@cache
def _asset_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda value: f"{int(value or 0):,}"
    env.filters["usd"] = (
        usd_html  # every amount on a page goes through one of these two (functions/console/money)
    )
    env.filters["balance"] = balance_html
    return env


def local_time(timestamp: int | None, tz: ZoneInfo, seconds: bool = True) -> str:
    if not timestamp:
        return "—"
    return datetime.fromtimestamp(int(timestamp), tz).strftime(
        "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    )


def page(
    request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None, **values: Any
) -> Response:
    """Render a page, or only its ``main`` block when the console's script asks for a live update."""
    base = base_path(request)
    values.setdefault("session", getattr(request.state, "session", None))
    values.update(
        request=request,
        base=base,
        url=lambda path: base + path,
        static=lambda name: f"{base}/console/static/{name}?v={_asset_version(name)}",
    )
    tmpl = environment().get_template(template)
    if request.headers.get(PARTIAL_HEADER):
        context = tmpl.new_context(values)
        body = "".join(tmpl.blocks["main"](context))
    else:
        body = tmpl.render(values)
    return secure(HTMLResponse(body, status_code=status, headers=headers))


def secure(response: Response, cacheable: bool = False) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if not cacheable:
        response.headers["cache-control"] = "no-store"
    return response


def redirect(request: Request, path: str) -> Response:
    """A 303 to one of our own paths (under the prefix)."""
    return secure(RedirectResponse(base_path(request) + path, status_code=303))


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a console path of ours, never another site."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return "/console"
