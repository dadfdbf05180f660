"""Console pages of the account: API keys (create, shown once, revoke) and settings (time zone, limits).

Key changes are post/redirect/get: the POST changes the key and redirects to the keys page, which shows the new
secret once (functions/console/reveal.py), so reloading it repeats nothing."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from empirio.context import get_context
from empirio.domain.key_policy import KeyPolicy
from empirio.domain.keys import parse_scopes
from empirio.domain.sessions import Session
from empirio.domain.usage import zone
from empirio.errors import ApiError, InvalidRequestError
from empirio.web.auth import principal_cache
from empirio.web.views import KeyCreate, KeyRotate, key_view
from functions.console import figures, pages, reveal
from functions.console.gate import Console, ConsoleRequest, ConsoleWrite, view, wants_json
from functions.console.render import local_time, redirect
from functions.console.router import router
from functions.console.session import field


def _keys_page(console: ConsoleRequest, status: int = 200, **values: Any) -> Response:
    data = pages.keys(console.context, console.refresh(), int(console.context.clock()))
    return view(console.request, "keys.html", data, status=status, title="API keys", nav="keys", **values)


def _form_key(form: Any, account_zone: ZoneInfo, now: int) -> tuple[str, list[str], KeyPolicy]:
    """The create-key form as a key's name, scopes and policy (the same validation as POST /v1/keys)."""
    expires = field(form, "expires_on", 10)
    expires_at = None
    if expires:
        try:
            day = date.fromisoformat(expires)
        except ValueError:
            raise InvalidRequestError(
                "Expires on: use a date such as 2027-01-31.", param="expires_at"
            ) from None
        expires_at = int(datetime(day.year, day.month, day.day, tzinfo=account_zone).timestamp())
    try:
        body = KeyCreate(
            name=field(form, "name", 100),
            scopes=[s for s in ("inference", "manage") if form.get(f"scope_{s}")] or ["inference"],
            spend_limit=field(form, "spend_limit", 20) or None,
            spend_limit_period=field(form, "spend_limit_period", 10) or "lifetime",
            expires_at=expires_at,
            allowed_models=[m for m in form.getlist("allowed_models") if isinstance(m, str)] or None,
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).replace("_", " ")
        raise InvalidRequestError(f"{where.capitalize()}: {first['msg']}.") from None
    return body.name, body.scopes, body.policy(get_context().catalog, now)


@router.get("/console/keys")
def keys(console: Console) -> Response:
    request = console.request
    if wants_json(request):  # the twin lists the keys; a secret shown once stays for the page
        return _keys_page(console)
    shown = reveal.take(request, console.session) or {}
    response = _keys_page(console, **{k: shown[k] for k in ("created", "rotated", "notice") if k in shown})
    reveal.forget(request, response)
    return response


def _show_once(request: Request, session: Session, shown: dict[str, Any]) -> Response:
    """Redirect to the keys page, which shows ``shown`` once (a reload does not repeat the change)."""
    response = redirect(request, "/console/keys")
    reveal.stash(request, response, session, shown)
    return response


@router.post("/console/keys")
def create_key(console: ConsoleWrite) -> Response:
    context, form = console.context, console.form
    try:
        tz = figures.account_zone(console.account)
        name, scopes, policy = _form_key(form, tz, int(context.clock()))
        key, plaintext = context.keys.create(console.account_id, name, parse_scopes(scopes), policy)
    except ApiError as error:
        return _keys_page(console, status=error.status, error=error.message)
    return _show_once(console.request, console.session, {"created": {**key_view(key), "key": plaintext}})


@router.post("/console/keys/{key_id}/rotate")
def rotate_key(console: ConsoleWrite, key_id: str) -> Response:
    context = console.context
    try:
        grace = KeyRotate(grace_seconds=int(field(console.form, "grace_seconds", 10) or 86400)).grace_seconds
        key, plaintext, stops = context.keys.rotate(console.account_id, key_id, grace, int(context.clock()))
    except (ApiError, ValueError) as error:
        message = (
            error.message if isinstance(error, ApiError) else "Choose how long the old secret keeps working."
        )
        return _keys_page(console, status=getattr(error, "status", 400), error=message)
    principal_cache.evict_key(key.key_id)
    tz = figures.account_zone(console.refresh())
    return _show_once(
        console.request,
        console.session,
        {"created": {**key_view(key), "key": plaintext}, "rotated": local_time(stops, tz, seconds=False)},
    )


@router.post("/console/keys/{key_id}/revoke")
def revoke_key(console: ConsoleWrite, key_id: str) -> Response:
    try:
        key = console.context.keys.revoke(console.account_id, key_id)
    except ApiError as error:
        return _keys_page(console, status=error.status, error=error.message)
    principal_cache.evict_key(key.key_id)
    notice = f"Key “{key.name or key.display}” revoked. Requests with it are refused."
    return _show_once(console.request, console.session, {"notice": notice})


def _settings_page(console: ConsoleRequest, status: int = 200, **values: Any) -> Response:
    data = pages.settings(console.refresh(), int(time.time() * 1_000_000))
    return view(
        console.request,
        "settings.html",
        data,
        status=status,
        title="Settings",
        nav="settings",
        zones=figures.common_zones(),
        **values,
    )


@router.get("/console/settings")
def settings(console: Console) -> Response:
    return _settings_page(console)


@router.post("/console/settings")
def save_settings(console: ConsoleWrite) -> Response:
    name = field(console.form, "timezone", 64)
    try:
        zone(name)
    except ValueError as error:
        return _settings_page(console, status=400, error=f"{str(error).capitalize()}.")
    console.context.accounts.set_timezone(console.account_id, name)
    return _settings_page(console, notice=f"Time zone set to {name}. Days now start at midnight there.")
