"""Each console page's view model: one function per page returning plain data (JSON-able: money as the API's
decimal strings), which its template renders and which the page serves as its JSON twin (``?format=json``).
Every figure comes from the same services and stores as the public JSON API; where a page mirrors an API route,
its function says which."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from empirio.context import Context
from empirio.domain import alert_email
from empirio.domain.accounts import Account
from empirio.domain.billing import usd
from empirio.domain.catalog import Catalog
from empirio.domain.key_policy import PERIODS
from empirio.domain.limits import state
from empirio.domain.money import format_usd
from empirio.domain.sessions import Session
from empirio.domain.usage import HOUR, hour_of, iso_hour
from empirio.errors import ApiError
from empirio.reports import billing_ledger, generations
from empirio.reports import usage as usage_service
from empirio.reports.models import model_view
from empirio.reports.usage import parse_time
from empirio.services import purchasing
from empirio.web.views import key_view
from functions.console.examples import examples
from functions.console.figures import (
    USED_DAYS,
    Figures,
    account_zone,
    key_activity,
    latency_by_model,
    local_midnight,
    series,
    used,
)
from functions.console.render import local_time

DAY = 86400
RANGES = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
PRESETS = (1000, 2500, 10000)


def first_steps(account: Account, requests: int) -> dict[str, Any] | None:
    """The first-run checklist, in the order that works (a call at $0 is refused with 402): add credits, create
    a key, make a call. Each step is done or not; the current one is the first not done. None once all are."""
    steps = [
        {
            "title": "Add credits",
            "text": "Requests are paid from a prepaid balance; at $0 every call is refused (402).",
            "path": "/console/billing",
            "action": "Add credits",
            "done": account.available > 0,
        },
        {
            "title": "Create an API key",
            "text": "Your code sends it as a Bearer token; it is shown once.",
            "path": "/console/keys",
            "action": "Create a key",
            "done": account.key_count > 0,
        },
        {
            "title": "Make your first call",
            "text": "Try a model in the Playground, or copy an example from a model's page.",
            "path": "/console/playground",
            "action": "Try a model",
            "done": requests > 0,
        },
    ]
    current = next((i for i, step in enumerate(steps) if not step["done"]), None)
    if current is None:
        return None
    heading = "Get started" if requests == 0 else "Add credits to keep calling"
    return {"heading": heading, "steps": steps, "current": current}


def dashboard(context: Context, account: Account, split: str, now: int) -> dict[str, Any]:
    """Balance; spend, requests and tokens today / 7 / 30 days (local days); charts per day and per hour split
    by model or key; latency percentiles per model over the last 24 hours."""
    tz = account_zone(account)
    dim = "key" if split == "key" else "model"
    names = {**context.keys.names(account.account_id), "": "Playground"} if dim == "key" else {}
    start30 = local_midnight(now, tz, 29)
    rolled = context.usage.watermark()  # one read for the three queries below
    by_day = usage_service.grouped(
        context.usage, account.account_id, start30, now + 1, ("day", dim), tz, watermark=rolled
    )
    days = [
        datetime.fromtimestamp(local_midnight(now, tz, back), tz).strftime("%Y-%m-%d")
        for back in range(29, -1, -1)
    ]
    today, week, month = Figures(), Figures(), Figures()
    for (day, _), totals in by_day.items():
        month.add(totals)
        if day >= days[-7]:
            week.add(totals)
        if day == days[-1]:
            today.add(totals)
    hour_start = hour_of(now) - 47 * HOUR
    by_hour = usage_service.grouped(
        context.usage, account.account_id, hour_start, now + 1, ("hour", dim), tz, watermark=rolled
    )
    hours = [iso_hour(h, tz) for h in range(hour_start, hour_of(now) + 1, HOUR)]
    return {
        "balance": format_usd(account.available),
        "held": format_usd(account.held),
        "timezone": tz.key,
        "split": dim,
        "today": today.view(),
        "week": week.view(),
        "month": month.view(),
        "daily": {"x": days, "series": series(by_day, days, names, "cost"), "unit": "USD", "axis": "Day"},
        "hourly": {
            "x": hours,
            "series": series(by_hour, hours, names, "requests"),
            "unit": "requests",
            "axis": "Hour",
        },
        "latency": latency_by_model(context, account.account_id, now, rolled),
        "onboarding": first_steps(account, month.requests),
    }


def logs(context: Context, account: Account, query: dict[str, str], after: str, now: int) -> dict[str, Any]:
    """One page of the account's requests, newest first, with the filters in ``query`` (model, key_id, status,
    app, range or start/end): GET /v1/generations with the same filters; the export link is its CSV twin."""
    tz = account_zone(account)
    error, start_s, end_s = None, 0, now + 1
    seen = used(context, account, now)  # the filters offer what the account used, not the whole catalog
    rng, model, app = query.get("range", ""), query.get("model", ""), query.get("app", "")
    names: dict[str, str] = {}
    try:
        start_s = (
            now - RANGES[rng] if rng in RANGES else parse_time(query.get("start") or None, "start", 0, tz)
        )
        end_s = parse_time(query.get("end") or None, "end", now + 1, tz)
        names = context.keys.names(account.account_id)
        filters = generations.filters_of(
            model=model, key_id=query.get("key_id", ""), status=query.get("status", ""), app=app
        )
        listing = generations.list_generations(
            context.usage, account.account_id, start_s, end_s, filters, 50, after or None, names
        )
    except ApiError as problem:
        error, names, listing = problem.message, {}, {"data": [], "has_more": False, "last_id": None}
    rows = [{**row, "time": local_time(row.get("created_at"), tz)} for row in listing["data"]]
    # The export (a public API route) takes the same filters, with the time range as epoch seconds.
    export = {k: query[k] for k in ("model", "key_id", "status", "app") if query.get(k)}
    if rng in RANGES or query.get("start") or query.get("end"):
        export.update(start=str(start_s), end=str(end_s))
    return {
        "rows": rows,
        "listing": listing,
        "query": query,
        "export": export,
        "after": after,
        "error": error,
        "models": sorted(seen.models | ({model} if model else set())),
        "apps": sorted(seen.apps | ({app} if app else set())),
        "used_days": USED_DAYS,
        "keys": sorted(names.items(), key=lambda kv: kv[1]),
        "timezone": tz.key,
    }


def generation(context: Context, account: Account, generation_id: str) -> dict[str, Any]:
    """One request in full: GET /v1/generations/{id} (raises NotFoundError as it does)."""
    names = context.keys.names(account.account_id)
    record = generations.generation(context.usage, account.account_id, generation_id, names)
    tz = account_zone(account)
    return {"record": record, "time": local_time(record.get("created_at"), tz), "timezone": tz.key}


def playground(context: Context, account: Account) -> dict[str, Any]:
    """The chat models the playground offers (GET /v1/models?endpoint=/v1/chat/completions, text out) and the
    account's saved-chat limit (GET /v1/limits)."""
    models = [
        {
            "id": m.id,
            "name": m.name or m.id,
            "images": "image" in m.modalities.input,
            "parameters": list(m.supported_parameters),
        }
        for m in context.catalog.filter(endpoint="/v1/chat/completions")
        if "text" in m.modalities.output
    ]
    return {"models": models, "max_chats": account.limits.max_chats, "default": "local/echo"}


def models(catalog: Catalog, q: str, provider: str, modality: str, endpoint: str) -> dict[str, Any]:
    """The catalog, filtered: GET /v1/models's filters and model views, plus a name search; unlike the API it
    also lists the models no endpoint serves yet or whose provider retired them, as the page always has."""
    needle = q.strip().lower()
    found = [
        model_view(m)
        for m in catalog.filter(
            modality=modality or None, provider=provider or None, endpoint=endpoint or None
        )
        if not needle or needle in m.id.lower() or needle in (m.name or "").lower()
    ]
    everything = catalog.models
    return {
        "models": found,
        "query": {"q": q, "provider": provider, "modality": modality, "endpoint": endpoint},
        "providers": sorted({m.provider for m in everything}),
        "modalities": sorted({x for m in everything for x in (*m.modalities.input, *m.modalities.output)}),
        "endpoints": sorted({e for m in everything for e in m.endpoints}),
    }


def model(catalog: Catalog, model_id: str, api_base: str) -> dict[str, Any] | None:
    """One model (GET /v1/models/{id}) and code examples for it against ``api_base``; None if not listed."""
    found = catalog.get(model_id)
    if found is None:
        return None
    return {"model": model_view(found), "examples": examples(found.id, found.endpoints, api_base)}


def keys(context: Context, account: Account, now: int) -> dict[str, Any]:
    """The account's keys as GET /v1/keys lists them, with when each was last used and this month's spend."""
    activity = key_activity(context, account, now)
    tz = account_zone(account)
    rows = []
    for key in context.keys.list(account.account_id, now=now):
        seen = activity.get(key.key_id, {})
        month = seen.get("month")
        rows.append(
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
    return {
        "keys": rows,
        "limit": account.limits.max_keys,
        "in_use": account.key_count,  # a rotated key's previous secret is listed but takes no slot
        "models": [m.id for m in context.catalog.filter(endpoint="/v1/chat/completions")],
        "periods": list(PERIODS),
    }


def settings(account: Account, now_us: int) -> dict[str, Any]:
    """The account's time zone and limits with what is available now: GET /v1/account and GET /v1/limits."""
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
    return {"account": {"account_id": account.account_id, "timezone": account.timezone}, "limits": rows}


def billing_page(
    context: Context, account: Account, session: Session, purchase: str, now: int
) -> dict[str, Any]:
    """Balance and held credits (GET /v1/credits), purchases (GET /v1/billing/purchases), the last 30 days of the
    ledger (GET /v1/billing/ledger), top-up terms (GET /v1/billing/quote) and the alert and auto top-up settings
    (GET /v1/billing/settings)."""
    tz = account_zone(account)
    terms = context.terms
    purchases = [
        {**purchasing.purchase_view(p), "date": local_time(p.created_at, tz, seconds=False)}
        for p in context.purchases.list(account.account_id, 50)
    ]
    returning = next((p for p in purchases if p["id"] == purchase), None) if purchase else None
    ledger = billing_ledger.ledger_rows(context, account.account_id, now - 30 * DAY, now + 1, tz)
    profile = context.profiles.get(account.account_id)
    auto = profile.auto
    default = 2500
    return {
        "balance": format_usd(account.available),
        "held": format_usd(account.held),
        "negative": account.available < 0,
        "terms": {
            "min": usd(terms.min_cents),
            "max": usd(terms.max_cents),
            "fee_bps": terms.fee_bps,
            "fee_fixed_cents": terms.fee_fixed_cents,
            "fee": terms.describe(),
        },
        "default": {
            "amount": usd(default),
            "fee": usd(terms.fee(default)),
            "total": usd(default + terms.fee(default)),
        },
        "presets": [usd(c) for c in PRESETS],
        "purchases": purchases,
        "returning": returning,
        "ledger": list(reversed(ledger)),
        "settings": {
            "threshold": format_usd(profile.low_balance_threshold) if profile.low_balance_threshold else "",
            "email": profile.alert_email or session.email,
            "email_status": alert_email.status(profile.alert_email, profile.alert_email_confirmed),
            "auto": {
                "enabled": auto.enabled,
                "card_saved": bool(auto.payment_method),
                "failures": auto.failures,
            },
            "auto_threshold": format_usd(auto.threshold) if auto.threshold else "",
            "auto_amount": usd(auto.amount_cents) if auto.amount_cents else "",
            "auto_cap": usd(auto.monthly_cap_cents) if auto.monthly_cap_cents else "",
        },
        "timezone": tz.key,
    }
