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
from empirio.domain.key_policy import PERIODS, KeyPolicy
from empirio.domain.keys import parse_scopes
from empirio.domain.limits import state
from empirio.domain.money import format_usd
from empirio.domain.sessions import Session
from empirio.domain.usage import zone
from empirio.errors import ApiError, InvalidRequestError
from empirio.web.auth import principal_cache, session_of
from empirio.web.views import KeyCreate, KeyRotate, key_view
from functions.console import pages, reveal
from functions.console.render import local_time, page, redirect
from functions.console.router import router
from functions.console.session import check_form, field, sign_in_redirect


def _keys_page(request: Request, status: int = 200, **values: Any) -> Response:
    session = request.state.session
    context = get_context()
    account = context.accounts.require(session.account_id)
    now = int(context.clock())
    activity = pages.key_activity(context, account, now)
    tz = pages.account_zone(account)
    keys = []
    for key in context.keys.list(session.account_id, now=now):
        seen = activity.get(key.key_id, {})
        month = seen.get("month")
        keys.append(
            {
                **key_view(key, spend=context.keys.spend(key, now, tz)),
                "created": local_time(key.created_at, tz, seconds=False),
                "last_used": local_time(seen.get("last_at"), tz, seconds=False)
                if seen.get("last_at")
                else "Never",
                "month_cost": format_usd(month.cost if month else 0),
                "expires": local_time(key.policy.expires_at, tz, seconds=False)
                if key.policy.expires_at
                else "Never",
            }
        )
    chat_models = [m.id for m in context.catalog.filter(endpoint="/v1/chat/completions")]
    return page(
        request,
        "keys.html",
        status=status,
        title="API keys",
        nav="keys",
        keys=keys,
        limit=account.limits.max_keys,
        in_use=account.key_count,  # a rotated key's previous secret is listed but takes no slot
        models=chat_models,
        periods=PERIODS,
        **values,
    )


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
def keys(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    shown = reveal.take(request, session) or {}
    response = _keys_page(request, **{k: shown[k] for k in ("created", "rotated", "notice") if k in shown})
    reveal.forget(request, response)
    return response


def _show_once(request: Request, session: Session, shown: dict[str, Any]) -> Response:
    """Redirect to the keys page, which shows ``shown`` once (a reload does not repeat the change)."""
    response = redirect(request, "/console/keys")
    reveal.stash(request, response, session, shown)
    return response


@router.post("/console/keys")
async def create_key(request: Request) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    form = await request.form()
    check_form(request, form, session)
    context = get_context()
    try:
        tz = pages.account_zone(context.accounts.require(session.account_id))
        name, scopes, policy = _form_key(form, tz, int(context.clock()))
        key, plaintext = context.keys.create(session.account_id, name, parse_scopes(scopes), policy)
    except ApiError as error:
        return _keys_page(request, status=error.status, error=error.message)
    return _show_once(request, session, {"created": {**key_view(key), "key": plaintext}})


@router.post("/console/keys/{key_id}/rotate")
async def rotate_key(request: Request, key_id: str) -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    form = await request.form()
    check_form(request, form, session)
    context = get_context()
    try:
        grace = KeyRotate(grace_seconds=int(field(form, "grace_seconds", 10) or 86400)).grace_seconds
        key, plaintext, stops = context.keys.rotate(session.account_id, key_id, grace, int(context.clock()))
    except (ApiError, ValueError) as error:
        message = (
            error.message if isinstance(error, ApiError) else "Choose how long the old secret keeps working."
        )
        return _keys_page(request, status=getattr(error, "status", 400), error=message)
    principal_cache.evict_key(key.key_id)
    tz = pages.account_zone(context.accounts.require(session.account_id))
    return _show_once(
        request,
        session,
        {"created": {**key_view(key), "key": plaintext}, "rotated": local_time(stops, tz, seconds=False)},
    )


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
    notice = f"Key “{key.name or key.display}” revoked. Requests with it are refused."
    return _show_once(request, session, {"notice": notice})


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
