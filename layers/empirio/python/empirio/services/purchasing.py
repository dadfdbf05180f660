"""Buying credits: Checkout, fulfilment (the webhook's and the success page's, one function), refunds and
disputes. Stripe is the source of truth for what was paid; our purchase item is the source of truth for what was
credited, and it moves conditionally in the same transaction as the balance."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from empirio.domain.billing import AmountError, Purchase, new_purchase_id, usd, with_payment
from empirio.domain.money import format_usd
from empirio.errors import ApiError, InvalidRequestError
from empirio.payments import PaymentsUnavailableError

if TYPE_CHECKING:
    from empirio.domain.billing import Terms
    from empirio.payments import Payments
    from empirio.store.accounts import AccountStore
    from empirio.store.profiles import ProfileStore
    from empirio.store.purchases import PurchaseStore

logger = logging.getLogger("empirio.billing")
TAKE_BACK_ATTEMPTS = 8


class NotPaidYetError(ApiError):
    """A refund or dispute for a purchase whose payment has not been recorded yet: Stripe delivers it again."""

    status = 409
    type = "invalid_request_error"
    code = "purchase_not_paid_yet"


class PurchaseMismatchError(ApiError):
    """An event that does not match the purchase it names (another account, another amount): refused."""

    status = 400
    type = "invalid_request_error"
    code = "purchase_mismatch"


def purchase_view(purchase: Purchase) -> dict[str, Any]:
    return {
        "id": purchase.purchase_id,
        "object": "billing.purchase",
        "created_at": purchase.created_at,
        "paid_at": purchase.paid_at,
        "source": purchase.source,
        "amount": usd(purchase.amount_cents),
        "fee": usd(purchase.fee_cents),
        "total": usd(purchase.total_cents),
        "currency": "USD",
        "status": purchase.status,
        "refunded": format_usd(purchase.refunded),
        "disputed": format_usd(purchase.disputed),
        "receipt_url": purchase.receipt_url
        if (purchase.receipt_url or "").startswith(("https://", "http://"))
        else None,
    }


def quote(terms: Terms, amount: object) -> tuple[int, int]:
    """(amount, fee) in cents for a requested amount under ``terms``, or a 400 naming ``amount``."""
    try:
        cents = terms.parse(amount)
    except AmountError as error:
        raise InvalidRequestError(f"amount {error}.", param="amount", code="invalid_amount") from None
    return cents, terms.fee(cents)


class Purchasing:
    """Purchases of credits over the purchases, accounts and profiles, Stripe and the terms of sale."""

    def __init__(
        self,
        purchases: PurchaseStore,
        accounts: AccountStore,
        profiles: ProfileStore,
        payments: Payments,
        terms: Terms,
    ) -> None:
        self.purchases, self.accounts, self.profiles = purchases, accounts, profiles
        self.payments, self.terms = payments, terms

    def quote(self, amount: object) -> tuple[int, int]:
        """(amount, fee) in cents for a requested amount, or a 400 naming ``amount``."""
        return quote(self.terms, amount)

    def checkout(self, account_id: str, amount: object, return_base: str) -> dict[str, Any]:
        """Record a pending purchase and open a hosted Checkout page for it; returns its id and the page's URL."""
        cents, fee = self.quote(amount)
        self.accounts.require(account_id)
        purchase = Purchase(
            purchase_id=new_purchase_id(),
            account_id=account_id,
            amount_cents=cents,
            fee_cents=fee,
            created_at=int(time.time()),
        )
        self.purchases.create(purchase)
        try:
            session = self.payments.checkout_payment(
                purchase_id=purchase.purchase_id,
                account_id=account_id,
                amount_cents=cents,
                fee_cents=fee,
                success_url=f"{return_base}/console/billing?purchase={purchase.purchase_id}",
                cancel_url=f"{return_base}/console/billing?cancelled={purchase.purchase_id}",
            )
        except ApiError:
            self.purchases.close(purchase, "failed")
            raise
        self.purchases.set_session(purchase, str(session["id"]))
        return {
            **purchase_view(replace(purchase, checkout_session_id=str(session["id"]))),
            "url": session["url"],
            "checkout_session_id": session["id"],
        }

    def fulfil_checkout(self, account_id: str, purchase_id: str) -> Purchase:
        """The success page's call: ask Stripe about the purchase's session and credit it if paid (idempotent)."""
        purchase = self.purchases.require(account_id, purchase_id)
        if purchase.state != "pending" or not purchase.checkout_session_id:
            return purchase
        return self.fulfil_session(self.payments.session(purchase.checkout_session_id))

    def fulfil_session(self, session: dict[str, Any]) -> Purchase:
        """THE fulfilment: a Checkout session (from the webhook or retrieved) credits its purchase once, if paid."""
        metadata = session.get("metadata") or {}
        account_id, purchase_id = str(metadata.get("account_id", "")), str(metadata.get("purchase_id", ""))
        purchase = self.purchases.get(account_id, purchase_id) if account_id and purchase_id else None
        if purchase is None or session.get("client_reference_id") != account_id:
            raise _mismatch(
                "no purchase of this account matches the session", session, account_id, purchase_id
            )
        if purchase.checkout_session_id and purchase.checkout_session_id != session.get("id"):
            raise _mismatch("the session is not the purchase's", session, account_id, purchase_id)
        if (
            session.get("amount_total") != purchase.total_cents
            or str(session.get("currency", "")).lower() != "usd"
        ):
            raise _mismatch("the amount paid differs from the purchase", session, account_id, purchase_id)
        if session.get("payment_status") != "paid":
            return purchase  # an asynchronous payment still processing: async_payment_succeeded will come
        return self._credit(purchase, _payment_intent_id(session.get("payment_intent")))

    def _credit(self, purchase: Purchase, payment_intent_id: str | None) -> Purchase:
        charge_id = receipt = None
        if payment_intent_id:
            intent = self.payments.payment_intent(payment_intent_id)
            charge = intent.get("latest_charge")
            if isinstance(charge, dict):
                charge_id, receipt = charge.get("id"), charge.get("receipt_url")
            elif isinstance(charge, str):
                charge_id = charge
        paid = with_payment(purchase, int(time.time()), payment_intent_id, charge_id, receipt)
        if self.purchases.fulfil(paid):
            logger.info(
                "purchase credited",
                extra={
                    "account_id": purchase.account_id,
                    "purchase_id": purchase.purchase_id,
                    "amount": purchase.amount_cents,
                },
            )
            return paid
        return self.purchases.require(purchase.account_id, purchase.purchase_id)

    # -- the webhook -----------------------------------------------------------------------------------------------

    def handle_event(self, event: dict[str, Any]) -> str:
        """Apply one verified Stripe event; returns what was done. Each handler is idempotent, so the same event
        delivered twice, concurrently or after a later one changes the books at most once."""
        handler = _HANDLERS.get(str(event.get("type", "")))
        if handler is None:
            return "ignored"
        return handler(self, (event.get("data") or {}).get("object") or {}, str(event["type"]))

    def _session_paid(self, session: dict[str, Any], kind: str) -> str:
        if session.get("mode") == "setup":
            return self._card_saved(session)
        return f"purchase {self.fulfil_session(session).status}"

    def _session_closed(self, session: dict[str, Any], kind: str) -> str:
        purchase = self._purchase_of(session.get("metadata") or {}, session)
        if purchase is None:
            return "ignored"
        self.purchases.close(purchase, "expired" if kind.endswith("expired") else "failed")
        return "purchase closed"

    def _intent_succeeded(self, intent: dict[str, Any], kind: str) -> str:
        """An auto top-up's payment (the watch credits it too; whichever is first credits it)."""
        metadata = intent.get("metadata") or {}
        if metadata.get("kind") != "auto":
            return "ignored"  # Checkout's payments are credited from their session
        purchase = self._purchase_of(metadata, intent)
        if purchase is None:
            raise _mismatch("no purchase matches the payment", intent, "", "")
        if intent.get("amount") != purchase.total_cents:
            raise _mismatch(
                "the amount paid differs from the purchase", intent, purchase.account_id, purchase.purchase_id
            )
        return f"purchase {self._credit(purchase, str(intent['id'])).status}"

    def _refunded(self, charge: dict[str, Any], kind: str) -> str:
        purchase = self._purchase_of_payment(charge)
        if purchase is None:
            return "ignored"
        self.apply_refund(purchase, int(charge.get("amount_refunded", 0)))
        return "refund applied"

    def _disputed(self, dispute: dict[str, Any], kind: str) -> str:
        purchase = self._purchase_of_payment(dispute)
        if purchase is None:
            return "ignored"
        amount = int(dispute.get("amount", 0))
        self._take_back(
            purchase,
            "dispute",
            "disputed",
            lambda p: p.disputed + p.dispute_take(amount),
            str(dispute["id"]),
        )
        return "dispute applied"

    def _purchase_of(self, metadata: dict[str, Any], obj: dict[str, Any]) -> Purchase | None:
        account_id, purchase_id = str(metadata.get("account_id", "")), str(metadata.get("purchase_id", ""))
        if not account_id or not purchase_id:
            return None
        purchase = self.purchases.get(account_id, purchase_id)
        if purchase is None:
            raise _mismatch("no purchase of this account has this id", obj, account_id, purchase_id)
        return purchase

    def _purchase_of_payment(self, obj: dict[str, Any]) -> Purchase | None:
        """The purchase a charge or dispute belongs to, through its payment intent's metadata (a charge does not
        carry its payment intent's metadata); None for a payment that is not a purchase of credits."""
        intent_id = _payment_intent_id(obj.get("payment_intent"))
        metadata = obj.get("metadata") or {}
        if not metadata.get("purchase_id") and intent_id:
            metadata = self.payments.payment_intent(intent_id).get("metadata") or {}
        purchase = self._purchase_of(metadata, obj)
        if purchase is None:
            return None
        if purchase.state != "paid":
            raise NotPaidYetError(
                f"Purchase {purchase.purchase_id} is not recorded as paid yet; deliver the event again."
            )
        if intent_id and purchase.payment_intent_id and intent_id != purchase.payment_intent_id:
            raise _mismatch(
                "the charge is not the purchase's", obj, purchase.account_id, purchase.purchase_id
            )
        return purchase

    def apply_refund(self, purchase: Purchase, amount_refunded_cents: int) -> None:
        """Stripe has refunded ``amount_refunded_cents`` of the purchase's charge in all: take back what is due."""
        self._take_back(
            purchase,
            "refund",
            "refunded",
            lambda p: p.refund_target(amount_refunded_cents),
            str(amount_refunded_cents),
        )

    def apply_dispute(self, purchase: Purchase, dispute_id: str, amount_cents: int) -> None:
        """A dispute of ``amount_cents`` on the purchase's charge: take back its share, once per dispute."""
        self._take_back(
            purchase,
            "dispute",
            "disputed",
            lambda p: p.disputed + p.dispute_take(amount_cents),
            dispute_id,
        )

    def _take_back(self, purchase: Purchase, kind: str, field: str, target: Any, suffix: str) -> None:
        """Move the purchase's refunded/disputed total to ``target(purchase)`` and debit the difference, retrying
        on a concurrent writer (each attempt re-reads the purchase: the target never goes backwards)."""
        for _ in range(TAKE_BACK_ATTEMPTS):
            new_total = int(target(purchase))
            if new_total <= getattr(purchase, field):
                return
            outcome = self.purchases.take_back(purchase, kind, field, new_total, suffix)
            if outcome == "already":
                return
            if outcome == "done":
                logger.info(
                    f"{kind} debited",
                    extra={
                        "account_id": purchase.account_id,
                        "purchase_id": purchase.purchase_id,
                        "amount": new_total - getattr(purchase, field),
                    },
                )
                return
            purchase = self.purchases.require(purchase.account_id, purchase.purchase_id)
        raise PaymentsUnavailableError("The purchase is busy; Stripe will deliver this event again.")

    def _card_saved(self, session: dict[str, Any]) -> str:
        account_id = str((session.get("metadata") or {}).get("account_id", ""))
        if not account_id or session.get("client_reference_id") != account_id:
            raise _mismatch("the setup session names no account", session, account_id, "")
        intent_id = _payment_intent_id(session.get("setup_intent"))
        if not intent_id:
            return "ignored"
        intent = self.payments.setup_intent(intent_id)
        method = _payment_intent_id(intent.get("payment_method"))
        customer = _payment_intent_id(intent.get("customer")) or _payment_intent_id(session.get("customer"))
        if intent.get("status") != "succeeded" or not method or not customer:
            return "ignored"
        self.profiles.save_card(account_id, customer, method)
        return "card saved"

    def setup_card(self, account_id: str, signed_in_email: str | None, return_base: str) -> dict[str, Any]:
        """A Checkout page in setup mode to save the card auto top-up charges. ``signed_in_email``: the person's
        (Cognito verified) email when a console session asks, else None."""
        profile = self.profiles.get(account_id)
        # Stripe may email its customer: only an address known to be wanted there.
        email = profile.alert_address or signed_in_email
        customer = profile.customer
        if not customer:
            customer = str(self.payments.create_customer(account_id, email)["id"])
            self.profiles.set_customer(account_id, customer)
            customer = self.profiles.get(account_id).customer or customer
        session = self.payments.checkout_setup(
            account_id=account_id,
            customer=customer,
            success_url=f"{return_base}/console/billing?card=saved",
            cancel_url=f"{return_base}/console/billing",
            attempt=new_purchase_id(),
        )
        return {"id": session["id"], "url": session["url"]}


def _payment_intent_id(value: object) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None


def _mismatch(reason: str, obj: dict[str, Any], account_id: str, purchase_id: str) -> PurchaseMismatchError:
    logger.error(
        "stripe event refused",
        extra={
            "reason": reason,
            "object": obj.get("id"),
            "account_id": account_id,
            "purchase_id": purchase_id,
        },
    )
    return PurchaseMismatchError(f"Refused: {reason}.")


# The webhook's handlers by event type: each takes the event's object and type.
_HANDLERS: dict[str, Callable[[Purchasing, dict[str, Any], str], str]] = {
    "checkout.session.completed": Purchasing._session_paid,
    "checkout.session.async_payment_succeeded": Purchasing._session_paid,
    "checkout.session.expired": Purchasing._session_closed,
    "checkout.session.async_payment_failed": Purchasing._session_closed,
    "payment_intent.succeeded": Purchasing._intent_succeeded,
    "charge.refunded": Purchasing._refunded,
    "charge.dispute.created": Purchasing._disputed,
}
