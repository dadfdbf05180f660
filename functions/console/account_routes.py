"""Console pages of the account: API keys (create, shown once, revoke) and settings (time zone, limits)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from empirio.context import get_context
from empirio.domain.keys import parse_scopes
from empirio.domain.limits import state
from empirio.domain.money import format_usd
from empirio.domain.usage import zone
from empirio.errors import ApiError
from empirio.web.auth import principal_cache, session_of
from empirio.web.views import key_view
from functions.console import pages
from functions.console.render import local_time, page
from functions.console.router import router
from functions.console.session import check_form, field, sign_in_redirect


def _keys_page(request: Request, status: int = 200, **values: Any) -> Response:
    session = request.state.session
    context = get_context()
    account = context.accounts.require(session.account_id)
    now = int(time.time())
    activity = pages.key_activity(context, account, now)
    tz = pages.account_zone(account)
    keys = []
    for key in context.keys.list(session.account_id):
        seen = activity.get(key.key_id, {})
        month = seen.get("month")
        keys.append(
            {
                **key_view(key),
                "created": local_time(key.created_at, tz, seconds=False),
                "last_used": local_time(seen.get("last_at"), tz, seconds=False)
                if seen.get("last_at")
                else "Never",
                "month_cost": format_usd(month.cost if month else 0),
            }
        )
    return page(
        request,
        "keys.html",
        status=status,
        title="API keys",
        nav="keys",
        keys=keys,
        limit=account.limits.max_keys,
        **values,
    )


@router.get("/console/keys")
def keys(request: Request) -> Response:
    if session_of(request) is None:
        return sign_in_redirect(request)
    return _keys_page(request)


@router.post("/console/keys")
async def create_key(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    form = await request.form()
    check_form(request, form, session)
    name = field(form, "name", 100)
    scopes = [s for s in ("inference", "manage") if form.get(f"scope_{s}")] or ["inference"]
    try:
        key, plaintext = get_context().keys.create(session.account_id, name, parse_scopes(scopes))
    except ApiError as error:
        return _keys_page(request, status=error.status, error=error.message)
    return _keys_page(request, status=201, created={**key_view(key), "key": plaintext})


@router.post("/console/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    check_form(request, await request.form(), session)
    try:
        key = get_context().keys.revoke(session.account_id, key_id)
    except ApiError as error:
        return _keys_page(request, status=error.status, error=error.message)
    principal_cache.evict_key(key.key_id)
    return _keys_page(
        request, notice=f"Key “{key.name or key.display}” revoked. Requests with it are refused."
    )


def _settings_page(request: Request, status: int = 200, **values: Any) -> Response:
    session = request.state.session
    account = get_context().accounts.require(session.account_id)
    now_us = int(time.time() * 1_000_000)
    limits = account.limits
    rows = [
        (
            "Requests per minute",
            limits.rpm,
            f"{state(limits.rpm, now_us, account.rpm_tat).remaining:,} available now",
        ),
        (
            "Tokens per minute",
            limits.tpm,
            f"{state(limits.tpm, now_us, account.tpm_tat).remaining:,} available now",
        ),
        ("API keys", limits.max_keys, f"{account.key_count} in use"),
        ("Saved playground chats", limits.max_chats, f"{account.chat_count} in use"),
    ]
    return page(
        request,
        "settings.html",
        status=status,
        title="Settings",
        nav="settings",
        account=account,
        limits=rows,
        zones=pages.common_zones(),
        **values,
    )


@router.get("/console/settings")
def settings(request: Request) -> Response:
    if session_of(request) is None:
        return sign_in_redirect(request)
    return _settings_page(request)


@router.post("/console/settings")
async def save_settings(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    form = await request.form()
    check_form(request, form, session)
    name = field(form, "timezone", 64)
    try:
        zone(name)
    except ValueError as error:
        return _settings_page(request, status=400, error=f"{str(error).capitalize()}.")
    get_context().accounts.set_timezone(session.account_id, name)
    return _settings_page(request, notice=f"Time zone set to {name}. Days now start at midnight there.")
