"""Buying credits (pure): purchase terms and fees, a purchase's life, what refunds and disputes take back, and when
the low-balance alert and auto top-up fire. Stripe counts cents; our books count micro-USD (1 cent = 10,000 µ$).

Rules, each tested:
- A purchase credits exactly its amount; the processing fee (a setting, shown before paying) is paid on top and
  never credited.
- Refunds are cumulative (Stripe's ``amount_refunded``) and come off the credit first, the fee last: a refund of
  r cents takes back min(r, amount) cents of credit, so a full refund of amount + fee takes back the credit.
- A dispute takes back what it disputes, at most the credit not already refunded.
- Each target is monotone: an event that arrives late (a smaller cumulative refund) takes nothing more back.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Literal

MICROS_PER_CENT = 10_000
_AMOUNT_RE = re.compile(r"^(0|[1-9][0-9]{0,7})(\.[0-9]{1,2})?$")

PurchaseSource = Literal["checkout", "auto"]
PurchaseState = Literal["pending", "paid", "expired", "failed"]


class AmountError(ValueError):
    """An amount a customer may not buy; the message says what is allowed."""


@dataclass(frozen=True)
class Terms:
    """What a purchase may be and what it costs on top (settings)."""

    min_cents: int = 500
    max_cents: int = 1_000_000
    fee_bps: int = 0  # processing fee in basis points of the amount (550 = 5.5 %)
    fee_fixed_cents: int = 0  # plus a fixed part, when there is any percentage or fixed fee

    def fee(self, amount_cents: int) -> int:
        """The processing fee on an amount, rounded up to the cent (0 when no fee is set)."""
        if not self.fee_bps and not self.fee_fixed_cents:
            return 0
        return math.ceil(amount_cents * self.fee_bps / 10_000) + self.fee_fixed_cents

    def parse(self, amount: object) -> int:
        """A USD amount (``"25.00"``, ``"25"``, or a number with at most 2 decimals) as cents within the limits."""
        text = _amount_text(amount)
        match = _AMOUNT_RE.match(text)
        if not match:
            raise AmountError('must be a USD amount with at most 2 decimals, e.g. "25.00"')
        whole, frac = match.group(1), (match.group(2) or ".")[1:]
        cents = int(whole) * 100 + int(frac.ljust(2, "0"))
        if not self.min_cents <= cents <= self.max_cents:
            raise AmountError(
                f"must be between ${usd(self.min_cents)} and ${usd(self.max_cents)} per purchase"
            )
        return cents

    def describe(self) -> str:
        """The fee as a person reads it (``5.5 % + $0.80``, or ``none``)."""
        parts = []
        if self.fee_bps:
            parts.append(f"{self.fee_bps / 100:g} %")
        if self.fee_fixed_cents:
            parts.append(f"${usd(self.fee_fixed_cents)}")
        return " + ".join(parts) or "none"


def _amount_text(amount: object) -> str:
    if isinstance(amount, bool):
        raise AmountError('must be a USD amount, e.g. "25.00"')
    if isinstance(amount, int):
        return str(amount)
    if isinstance(amount, float):
        if not math.isfinite(amount):
            raise AmountError('must be a USD amount, e.g. "25.00"')
        return repr(amount).removesuffix(".0")
    if isinstance(amount, str):
        return amount.strip()
    raise AmountError('must be a USD amount, e.g. "25.00"')


def usd(cents: int) -> str:
    """Cents as a USD string with 2 decimals (``2500`` → ``"25.00"``)."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def new_purchase_id() -> str:
    return "pur_" + secrets.token_hex(12)


@dataclass(frozen=True)
class Purchase:
    """One purchase of credits, from its creation (pending) until it is paid (or expires or fails). Refunds and
    disputes are recorded on it as the micro-USD of credit taken back so far."""

    purchase_id: str
    account_id: str
    amount_cents: int  # credited when paid
    fee_cents: int  # paid on top, never credited
    state: PurchaseState = "pending"
    source: PurchaseSource = "checkout"  # Checkout, or an auto top-up
    created_at: int = 0
    paid_at: int | None = None
    checkout_session_id: str | None = None
    payment_intent_id: str | None = None
    charge_id: str | None = None
    receipt_url: str | None = None
    refunded: int = 0  # micro-USD of credit taken back by refunds
    disputed: int = 0  # micro-USD of credit taken back by disputes

    @property
    def total_cents(self) -> int:
        return self.amount_cents + self.fee_cents

    @property
    def credit(self) -> int:
        return self.amount_cents * MICROS_PER_CENT

    @property
    def status(self) -> str:
        """What the purchase history shows: pending, paid, refunded (in part or whole), disputed, expired, failed."""
        if self.disputed:
            return "disputed"
        if self.refunded:
            return "refunded"
        return self.state

    def refund_target(self, amount_refunded_cents: int) -> int:
        """Credit to have taken back once Stripe has refunded ``amount_refunded_cents`` (cumulative) in all; never
        more than the credit a dispute has not already taken."""
        refunded = min(max(0, amount_refunded_cents), self.amount_cents) * MICROS_PER_CENT
        return min(refunded, self.credit - self.disputed)

    def dispute_take(self, disputed_cents: int) -> int:
        """Credit a dispute of ``disputed_cents`` takes back: what it disputes, at most the credit not refunded."""
        return max(0, min(disputed_cents * MICROS_PER_CENT, self.credit - self.refunded - self.disputed))


def with_payment(
    purchase: Purchase,
    paid_at: int,
    payment_intent_id: str | None,
    charge_id: str | None,
    receipt_url: str | None,
) -> Purchase:
    return replace(
        purchase,
        state="paid",
        paid_at=paid_at,
        payment_intent_id=payment_intent_id,
        charge_id=charge_id,
        receipt_url=receipt_url,
    )


# -- the low-balance alert and auto top-up ------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoTopUp:
    """Opt-in: when a request leaves the balance below ``threshold``, charge ``amount_cents`` to the saved card,
    at most ``monthly_cap_cents`` a calendar month (UTC); off after ``MAX_FAILURES`` failures in a row."""

    enabled: bool = False
    threshold: int = 0  # micro-USD
    amount_cents: int = 0
    monthly_cap_cents: int = 0
    payment_method: str | None = None  # saved through Checkout in setup mode
    customer: str | None = None
    failures: int = 0

    MAX_FAILURES = 3

    @property
    def ready(self) -> bool:
        return self.enabled and bool(self.payment_method and self.customer) and self.amount_cents > 0


def month_of(timestamp: int) -> str:
    return time.strftime("%Y-%m", time.gmtime(timestamp))


def below(available: int, threshold: int | None) -> bool:
    """Whether a balance is under an alert or top-up threshold (none set: never)."""
    return threshold is not None and threshold > 0 and available < threshold


def auto_top_up_due(available: int, settings: AutoTopUp, spent_this_month_cents: int) -> int:
    """Cents to charge now (0: none): the saved amount, when the balance is under the threshold, the card is
    saved and the month's cap leaves room for the whole amount."""
    if not settings.ready or not below(available, settings.threshold):
        return 0
    if (
        settings.monthly_cap_cents
        and spent_this_month_cents + settings.amount_cents > settings.monthly_cap_cents
    ):
        return 0
    return settings.amount_cents


@dataclass(frozen=True)
class Profile:
    """An account's billing settings and the state of its alert and auto top-up (attributes of the account)."""

    account_id: str
    available: int = 0
    low_balance_threshold: int = 0  # micro-USD; 0: no alert
    alert_email: str | None = None
    alert_email_confirmed: bool = False  # mail goes only to a confirmed address (domain.alert_email)
    alert_confirm_until: int = 0  # when the pending address's confirmation link lapses
    alert_sent: bool = False  # the alert for the current dip was sent; cleared once the balance is back above
    auto: AutoTopUp = AutoTopUp()
    customer: str | None = None  # the Stripe customer (created for saving a card)
    inflight: str | None = None  # the auto top-up purchase being charged
    inflight_at: int = 0
    month: str | None = None  # the month auto top-ups are counted in, and their total
    month_cents: int = 0

    @property
    def watched(self) -> bool:
        """Whether the balance watch looks at this account (an alert threshold or auto top-up is set)."""
        return self.low_balance_threshold > 0 or self.auto.enabled

    @property
    def alert_address(self) -> str | None:
        """Where alerts may be sent: the alert email once confirmed, else nowhere."""
        return self.alert_email if self.alert_email_confirmed else None

    def spent_in(self, month: str) -> int:
        return self.month_cents if self.month == month else 0


INFLIGHT_STALE_SECONDS = 600  # an auto top-up claimed this long ago and never finished may be claimed again


def alert_action(profile: Profile) -> str | None:
    """``send`` when the balance is under the alert threshold and this dip was not alerted yet, ``rearm`` when it
    is back above after an alert, else None."""
    if below(profile.available, profile.low_balance_threshold):
        return None if profile.alert_sent else "send"
    return "rearm" if profile.alert_sent else None
