"""Stripe, through the official SDK: the one module that talks to the payment processor. Answers are plain dicts.

The client is built on first use from settings (the secret key, the webhook secret and, locally, the fake Stripe
server's address). Timeouts are bounded (API Gateway gives a request 29 s; the SDK's default is 80 s) and network
failures are retried twice with the SDK's idempotency keys, so a retried create is never a second purchase.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import stripe

from empirio.errors import ApiError, ServiceUnavailableError

logger = logging.getLogger("empirio.billing")
TIMEOUT_SECONDS = 10
WEBHOOK_TOLERANCE_SECONDS = 300


def stripe_keys(secret_arn: str | None) -> tuple[str | None, str | None]:
    """Stripe's secret key and webhook secret: ``STRIPE_SECRET_KEY`` / ``STRIPE_WEBHOOK_SECRET``, else (in AWS)
    the JSON secret ``secret_arn`` names, with the same two names as keys."""
    names = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
    found = [os.environ.get(n) for n in names]
    if not all(found) and secret_arn:
        from aws_lambda_powertools.utilities import parameters

        raw: Any = parameters.get_secret(secret_arn, max_age=300)
        stored = json.loads(raw) if isinstance(raw, str) else raw
        found = [
            f or (str(stored.get(n)) if isinstance(stored, dict) and stored.get(n) else None)
            for f, n in zip(found, names, strict=True)
        ]
    return found[0], found[1]


class PaymentsUnavailableError(ServiceUnavailableError):
    code = "payments_unavailable"


class BadSignatureError(ApiError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_signature"


@dataclass(frozen=True)
class Declined:
    """An off-session charge the card refused (or that needs the customer): no money moved."""

    code: str
    message: str


class Payments:
    def __init__(
        self, secret_key: str | None, webhook_secret: str | None, api_base: str | None = None
    ) -> None:
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base

    @property
    def configured(self) -> bool:
        return bool(self._secret_key)

    @cached_property
    def _client(self) -> stripe.StripeClient:
        if not self._secret_key:
            raise PaymentsUnavailableError("Payments are not configured on this deployment.")
        bases: Any = {"api": self._api_base} if self._api_base else None
        return stripe.StripeClient(
            self._secret_key,
            base_addresses=bases,
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        )

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result = fn(*args, **kwargs)
        except stripe.CardError:
            raise
        except stripe.StripeError as error:
            logger.error("stripe call failed", extra={"call": what, "error": str(error)[:300]})
            raise PaymentsUnavailableError(
                "The payment processor is temporarily unavailable; retry in a moment."
            ) from error
        return dict(result.to_dict())

    # -- Checkout ------------------------------------------------------------------------------------------------
    def checkout_payment(
        self,
        *,
        purchase_id: str,
        account_id: str,
        amount_cents: int,
        fee_cents: int,
        success_url: str,
        cancel_url: str,
    ) -> dict[str, Any]:
        """A hosted Checkout session in payment mode for credits (and the fee as its own line)."""
        metadata = {"account_id": account_id, "purchase_id": purchase_id, "kind": "checkout"}
        lines: list[dict[str, Any]] = [_line("EmpirioLabs credits", amount_cents)]
        if fee_cents:
            lines.append(_line("Processing fee", fee_cents))
        params: Any = {
            "mode": "payment",
            "line_items": lines,
            "client_reference_id": account_id,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "customer_creation": "always",
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        return self._session(params, f"checkout-{purchase_id}")

    def checkout_setup(
        self, *, account_id: str, customer: str, success_url: str, cancel_url: str, attempt: str
    ) -> dict[str, Any]:
        """A hosted Checkout session in setup mode: the customer saves a card for auto top-up."""
        metadata = {"account_id": account_id, "kind": "auto_topup_setup"}
        params: Any = {
            "mode": "setup",
            "currency": "usd",
            "customer": customer,
            "client_reference_id": account_id,
            "metadata": metadata,
            "setup_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        return self._session(params, f"setup-{attempt}")

    def _session(self, params: Any, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            "checkout.sessions.create",
            self._client.v1.checkout.sessions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def create_customer(self, account_id: str, email: str | None) -> dict[str, Any]:
        params: Any = {"metadata": {"account_id": account_id}, **({"email": email} if email else {})}
        return self._call(
            "customers.create",
            self._client.v1.customers.create,
            params=params,
            options={"idempotency_key": f"customer-{account_id}"},
        )

    def session(self, session_id: str) -> dict[str, Any]:
        return self._call(
            "checkout.sessions.retrieve", self._client.v1.checkout.sessions.retrieve, session_id
        )

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        params: Any = {"expand": ["latest_charge"]}
        return self._call(
            "payment_intents.retrieve",
            self._client.v1.payment_intents.retrieve,
            payment_intent_id,
            params=params,
        )

    def setup_intent(self, setup_intent_id: str) -> dict[str, Any]:
        return self._call("setup_intents.retrieve", self._client.v1.setup_intents.retrieve, setup_intent_id)

    def charge_saved_card(
        self,
        *,
        customer: str,
        payment_method: str,
        amount_cents: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any] | Declined:
        """Charge a saved card off-session, confirmed at once. A refusal is a value, not an exception."""
        params: Any = {
            "amount": amount_cents,
            "currency": "usd",
            "customer": customer,
            "payment_method": payment_method,
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
            "expand": ["latest_charge"],
        }
        try:
            return self._call(
                "payment_intents.create",
                self._client.v1.payment_intents.create,
                params=params,
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as error:
            return Declined(str(error.code or "card_declined"), str(error.user_message or error))

    # -- webhooks ------------------------------------------------------------------------------------------------
    def event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The webhook's event, once its ``Stripe-Signature`` (HMAC-SHA256 of ``"{t}.{body}"`` with the webhook
        secret, at most 5 minutes old) is verified."""
        if not self._webhook_secret:
            raise PaymentsUnavailableError("Payments are not configured on this deployment.")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature or "", self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            raise BadSignatureError("The Stripe-Signature header does not verify this body.") from None
        except ValueError:
            raise BadSignatureError("The webhook body is not a Stripe event.") from None
        return dict(event.to_dict())


def _line(name: str, cents: int) -> dict[str, Any]:
    return {
        "quantity": 1,
        "price_data": {"currency": "usd", "unit_amount": cents, "product_data": {"name": name}},
    }
