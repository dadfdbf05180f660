"""The console's Billing page: balance and held credits, Add credits (Stripe Checkout, through the public
POST /v1/billing/checkout), purchase history, the ledger, the low-balance alert and auto top-up. Every figure is
read from the same stores as the /v1/billing routes. Also the page an alert address's confirmation link opens
(no session needed: the recipient may have no account; a GET only shows a button, so a mail scanner that
follows links confirms nothing)."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import Response

from empirio import alert_address, billing
from empirio.context import get_context
from empirio.domain import alert_email
from empirio.domain.billing import usd
from empirio.domain.money import format_usd
from empirio.reports import billing as billing_report
from empirio.web.auth import session_of
from functions.console import pages
from functions.console.render import local_time, page
from functions.console.router import router
from functions.console.session import check_origin, field, sign_in_redirect

DAY = 86400
PRESETS = (1000, 2500, 10000)


@router.get("/console/billing")
def billing_page(request: Request, purchase: str = "", cancelled: str = "", card: str = "") -> Response:
    session = session_of(request)
    if session is None:
        return sign_in_redirect(request)
    context = get_context()
    account = context.accounts.require(session.account_id)
    tz = pages.account_zone(account)
    now = int(time.time())
    terms = context.terms
    purchases = [
        {**billing.purchase_view(p), "date": local_time(p.created_at, tz, seconds=False)}
        for p in context.purchases.list(session.account_id, 50)
    ]
    returning = next((p for p in purchases if p["id"] == purchase), None) if purchase else None
    ledger = billing_report.ledger_rows(context, session.account_id, now - 30 * DAY, now + 1, tz)
    profile = context.profiles.get(session.account_id)
    default = 2500
    return page(
        request,
        "billing.html",
        title="Billing",
        nav="billing",
        live=True,
        balance=format_usd(account.available),
        held=format_usd(account.held),
        negative=account.available < 0,
        terms={
            "min": usd(terms.min_cents),
            "max": usd(terms.max_cents),
            "fee_bps": terms.fee_bps,
            "fee_fixed_cents": terms.fee_fixed_cents,
            "fee": terms.describe(),
        },
        default={
            "amount": usd(default),
            "fee": usd(terms.fee(default)),
            "total": usd(default + terms.fee(default)),
        },
        presets=[usd(c) for c in PRESETS],
        purchases=purchases,
        returning=returning,
        cancelled=bool(cancelled),
        card_saved=card == "saved",
        ledger=list(reversed(ledger)),
        settings={
            "threshold": format_usd(profile.low_balance_threshold) if profile.low_balance_threshold else "",
            "email": profile.alert_email or session.email,
            "email_status": alert_email.status(profile.alert_email, profile.alert_email_confirmed),
            "auto": profile.auto,
            "auto_threshold": format_usd(profile.auto.threshold) if profile.auto.threshold else "",
            "auto_amount": usd(profile.auto.amount_cents) if profile.auto.amount_cents else "",
            "auto_cap": usd(profile.auto.monthly_cap_cents) if profile.auto.monthly_cap_cents else "",
        },
        timezone=tz.key,
    )


_CONFIRM_TITLE = "Low-balance alerts"
_BAD_LINK = "This confirmation link is not valid or has expired. Ask for alerts to be set up again."


@router.get("/console/alert-email/confirm")
def alert_email_form(request: Request, token: str = "") -> Response:
    if alert_email.account_of(token) is None:
        return page(request, "alert_email_confirm.html", status=400, title=_CONFIRM_TITLE, error=_BAD_LINK)
    return page(request, "alert_email_confirm.html", title=_CONFIRM_TITLE, token=token)


@router.post("/console/alert-email/confirm")
async def alert_email_confirm(request: Request) -> Response:
    check_origin(request)
    token = field(await request.form(), "token", 256)
    if alert_address.confirm(get_context(), token) is None:
        return page(request, "alert_email_confirm.html", status=400, title=_CONFIRM_TITLE, error=_BAD_LINK)
    return page(
        request,
        "alert_email_confirm.html",
        title=_CONFIRM_TITLE,
        notice="Address confirmed: low-balance alerts will be sent to it.",
    )
