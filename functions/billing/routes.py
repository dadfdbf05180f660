"""HTTP routes of the billing family (thin: parse, call the purchasing or billing-settings service, render)."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from empirio.context import get_context
from empirio.domain import alert_email
from empirio.domain.accounts import Principal
from empirio.domain.billing import Profile, usd
from empirio.domain.keys import Scope
from empirio.domain.money import format_usd
from empirio.domain.usage import zone
from empirio.reports import billing_ledger
from empirio.reports.usage import parse_time
from empirio.services import purchasing
from empirio.services.billing_settings import AutoTopUpChange, SettingsChange
from empirio.web.auth import require_scope, session_of
from empirio.web.urls import public_root

router = APIRouter()
manage = Depends(require_scope(Scope.MANAGE))
logger = logging.getLogger("empirio.billing")
DAY = 86400


class CheckoutBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: str | int | float


@router.post("/v1/billing/checkout")
def create_checkout(body: CheckoutBody, request: Request, principal: Principal = manage) -> dict[str, Any]:
    return get_context().purchasing.checkout(principal.account_id, body.amount, public_root(request))


@router.get("/v1/billing/quote")
def get_quote(amount: str, principal: Principal = manage) -> dict[str, Any]:
    """What a purchase of ``amount`` costs with the fee, before paying."""
    cents, fee = purchasing.quote(get_context().terms, amount)
    return {"object": "billing.quote", "amount": usd(cents), "fee": usd(fee), "total": usd(cents + fee)}


@router.get("/v1/billing/purchases")
def list_purchases(principal: Principal = manage, limit: int = 100) -> dict[str, Any]:
    purchases = get_context().purchases.list(principal.account_id, max(1, min(limit, 100)))
    return {"object": "list", "data": [purchasing.purchase_view(p) for p in purchases]}


@router.get("/v1/billing/purchases/{purchase_id}")
def get_purchase(purchase_id: str, principal: Principal = manage) -> dict[str, Any]:
    return purchasing.purchase_view(get_context().purchases.require(principal.account_id, purchase_id))


@router.post("/v1/billing/purchases/{purchase_id}/fulfil")
def fulfil_purchase(purchase_id: str, principal: Principal = manage) -> dict[str, Any]:
    """The success page's call after Checkout: credit the purchase now if Stripe says it is paid (the webhook
    does the same; whichever comes first credits, the other finds it done)."""
    return purchasing.purchase_view(
        get_context().purchasing.fulfil_checkout(principal.account_id, purchase_id)
    )


def _range(account_tz: str, start: str | None, end: str | None) -> tuple[int, int, Any]:
    tz = zone(account_tz)
    now = int(time.time())
    return parse_time(start, "start", now - 30 * DAY, tz), parse_time(end, "end", now + 1, tz), tz


@router.get("/v1/billing/ledger")
def get_ledger(
    principal: Principal = manage, start: str | None = None, end: str | None = None
) -> dict[str, Any]:
    context = get_context()
    account = context.accounts.require(principal.account_id)
    start_s, end_s, tz = _range(account.timezone, start, end)
    rows = billing_ledger.ledger_rows(context, principal.account_id, start_s, end_s, tz)
    return {"object": "list", "data": [{k: v for k, v in r.items() if k != "at"} for r in rows]}


@router.get("/v1/billing/ledger/export")
def export_ledger(
    principal: Principal = manage, start: str | None = None, end: str | None = None
) -> Response:
    context = get_context()
    account = context.accounts.require(principal.account_id)
    start_s, end_s, tz = _range(account.timezone, start, end)
    rows = billing_ledger.ledger_rows(context, principal.account_id, start_s, end_s, tz)
    return Response(
        billing_ledger.ledger_csv(rows),
        media_type="text/csv",
        headers={"content-disposition": 'attachment; filename="empirio-ledger.csv"'},
    )


# -- settings: the low-balance alert and auto top-up ----------------------------------------------------------------


class AutoTopUpBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    threshold: str = "0"
    amount: str = "0"
    monthly_cap: str = "0"


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    low_balance_threshold: str | None = None
    alert_email: str | None = Field(default=None, max_length=254)
    auto_topup: AutoTopUpBody | None = None

    @field_validator("alert_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and value and ("@" not in value or any(c.isspace() for c in value)):
            raise ValueError("must be an email address")
        return value or None


def settings_view(profile: Profile) -> dict[str, Any]:
    auto = profile.auto
    return {
        "object": "billing.settings",
        "low_balance_threshold": format_usd(profile.low_balance_threshold),
        "alert_email": profile.alert_email,
        # pending: one confirmation message was sent there and nothing else will be until its link is followed
        "alert_email_status": alert_email.status(profile.alert_email, profile.alert_email_confirmed),
        "low_balance_alert_sent": profile.alert_sent,
        "auto_topup": {
            "enabled": auto.enabled,
            "threshold": format_usd(auto.threshold),
            "amount": usd(auto.amount_cents),
            "monthly_cap": usd(auto.monthly_cap_cents),
            "card_saved": bool(auto.payment_method),
            "failures": auto.failures,
            "this_month": usd(profile.spent_in(time.strftime("%Y-%m", time.gmtime()))),
        },
    }


@router.get("/v1/billing/settings")
def get_settings(principal: Principal = manage) -> dict[str, Any]:
    return settings_view(get_context().profiles.get(principal.account_id))


@router.patch("/v1/billing/settings")
def patch_settings(body: SettingsBody, request: Request, principal: Principal = manage) -> dict[str, Any]:
    session = session_of(request) if principal.via_session else None
    a = body.auto_topup
    asked = SettingsChange(
        low_balance_threshold=body.low_balance_threshold,
        alert_email=body.alert_email,
        auto_topup=AutoTopUpChange(a.enabled, a.threshold, a.amount, a.monthly_cap) if a else None,
    )
    verified = session.email if session else None
    profile = get_context().billing_settings.change(
        principal.account_id, asked, verified, public_root(request)
    )
    return settings_view(profile)


@router.post("/v1/billing/auto-topup/setup")
def setup_auto_top_up(request: Request, principal: Principal = manage) -> dict[str, Any]:
    """A Checkout page (setup mode) that saves the card auto top-up will charge."""
    session = session_of(request) if principal.via_session else None
    email = session.email if session else None
    return get_context().purchasing.setup_card(principal.account_id, email, public_root(request))


# -- the webhook -------------------------------------------------------------------------------------------------


@router.post("/v1/billing/webhook")
async def webhook(request: Request) -> dict[str, Any]:
    """Stripe's events: the signature is checked over the raw body before anything else (400 if it fails; nothing
    changes). A transient failure answers 503 so that Stripe delivers the event again."""
    payload = await request.body()
    context = get_context()
    event = context.payments.event(payload, request.headers.get("stripe-signature"))
    outcome = await run_in_threadpool(context.purchasing.handle_event, event)
    logger.info(
        "stripe event", extra={"event_id": event.get("id"), "type": event.get("type"), "outcome": outcome}
    )
    return {"received": True, "outcome": outcome}
