"""The billing settings of an account: the low-balance alert (threshold and address) and auto top-up, validated
against the terms of sale and the saved card, then written (the address first, through AlertAddress, so that a
rate-limited confirmation refuses the whole change before anything is written)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from empirio.domain.billing import AutoTopUp, Profile
from empirio.domain.money import InvalidAmountError, parse_usd
from empirio.errors import InvalidRequestError
from empirio.services.purchasing import quote

if TYPE_CHECKING:
    from empirio.domain.billing import Terms
    from empirio.services.alert_address import AlertAddress
    from empirio.store.profiles import ProfileStore


@dataclass(frozen=True)
class AutoTopUpChange:
    """Auto top-up as asked: dollar amounts as the API's decimal strings."""

    enabled: bool = False
    threshold: str = "0"
    amount: str = "0"
    monthly_cap: str = "0"


@dataclass(frozen=True)
class SettingsChange:
    """A settings patch as asked (None: keep what is set)."""

    low_balance_threshold: str | None = None
    alert_email: str | None = None
    auto_topup: AutoTopUpChange | None = None


def _micros(value: str, param: str) -> int:
    try:
        return parse_usd(value)
    except InvalidAmountError as error:
        raise InvalidRequestError(f"{param} {error}.", param=param) from None


class BillingSettings:
    """Changes an account's low-balance alert and auto top-up, over the profiles, the terms and the alert address."""

    def __init__(self, profiles: ProfileStore, terms: Terms, alert_address: AlertAddress) -> None:
        self.profiles, self.terms, self.alert_address = profiles, terms, alert_address

    def change(self, account_id: str, asked: SettingsChange, verified: str | None, root: str) -> Profile:
        """Apply ``asked`` to the account's profile; returns the profile saved. ``verified``: the signed-in
        person's email (Cognito verified it), if any; ``root``: where a confirmation link points."""
        profile = self.profiles.get(account_id)
        changes: dict[str, Any] = {}
        if asked.low_balance_threshold is not None:
            changes["low_balance_threshold"] = _micros(asked.low_balance_threshold, "low_balance_threshold")
        requested = asked.alert_email or (None if profile.alert_email else verified)
        if asked.auto_topup is not None:
            a = asked.auto_topup
            amount = quote(self.terms, a.amount)[0] if a.enabled or a.amount != "0" else 0
            cap = _micros(a.monthly_cap, "auto_topup.monthly_cap") // 10_000
            if cap and cap < amount:
                raise InvalidRequestError(
                    "auto_topup.monthly_cap must be at least one top-up's amount.",
                    param="auto_topup.monthly_cap",
                )
            if a.enabled and not profile.auto.payment_method:
                raise InvalidRequestError(
                    "Save a card first (POST /v1/billing/auto-topup/setup), then turn auto top-up on.",
                    param="auto_topup.enabled",
                    code="card_required",
                )
            changes["auto"] = AutoTopUp(
                enabled=a.enabled,
                threshold=_micros(a.threshold, "auto_topup.threshold"),
                amount_cents=amount,
                monthly_cap_cents=cap,
                payment_method=profile.auto.payment_method,
                customer=profile.auto.customer,
                failures=0 if a.enabled and not profile.auto.enabled else profile.auto.failures,
            )
        needs_email = changes.get("low_balance_threshold", profile.low_balance_threshold) > 0
        if needs_email and not (requested or profile.alert_email):
            raise InvalidRequestError(
                "Set alert_email: where the low-balance alert goes.", param="alert_email"
            )
        # The address first: a rate-limited confirmation refuses the whole change before anything is written.
        profile = self.alert_address.change(profile, requested, verified, root)
        return self.profiles.save(replace(profile, **changes))
