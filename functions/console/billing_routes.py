"""The console's Billing page: balance and held credits, Add credits (Stripe Checkout, through the public
POST /v1/billing/checkout), purchase history, the ledger, the low-balance alert and auto top-up. Every figure is
read from the same stores as the /v1/billing routes. Also the page an alert address's confirmation link opens
(no session needed: the recipient may have no account; a GET only shows a button, so a mail scanner that
follows links confirms nothing)."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import Response

from empirio.context import get_context
from empirio.domain import alert_email
from functions.console import pages
from functions.console.gate import Console, OriginForm, view
from functions.console.render import page
from functions.console.router import router
from functions.console.session import field


@router.get("/console/billing")
def billing_page(console: Console, purchase: str = "", cancelled: str = "", card: str = "") -> Response:
    data = pages.billing_page(console.context, console.account, console.session, purchase, int(time.time()))
    return view(
        console.request,
        "billing.html",
        {**data, "cancelled": bool(cancelled), "card_saved": card == "saved"},
        title="Billing",
        nav="billing",
        live=True,
    )


_CONFIRM_TITLE = "Low-balance alerts"
_BAD_LINK = "This confirmation link is not valid or has expired. Ask for alerts to be set up again."


@router.get("/console/alert-email/confirm")
def alert_email_form(request: Request, token: str = "") -> Response:
    if alert_email.account_of(token) is None:
        return page(request, "alert_email_confirm.html", status=400, title=_CONFIRM_TITLE, error=_BAD_LINK)
    return page(request, "alert_email_confirm.html", title=_CONFIRM_TITLE, token=token)


@router.post("/console/alert-email/confirm")
def alert_email_confirm(request: Request, form: OriginForm) -> Response:
    token = field(form, "token", 256)
    if get_context().alert_address.confirm(token) is None:
        return page(request, "alert_email_confirm.html", status=400, title=_CONFIRM_TITLE, error=_BAD_LINK)
    return page(
        request,
        "alert_email_confirm.html",
        title=_CONFIRM_TITLE,
        notice="Address confirmed: low-balance alerts will be sent to it.",
    )
