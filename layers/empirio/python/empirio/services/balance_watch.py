"""The balance watch: the low-balance alert (one email per dip below the threshold) and auto top-up (one
off-session charge at a time, a monthly cap, off after 3 refusals with an email). It runs beside the request
path, never in it: in AWS on the accounts table's stream (accounts that carry ``watch_shard`` only) and every
minute; locally from the dev server's job loop. Every decision is re-checked by a conditional write, so any
number of concurrent watchers act once. Mail goes only to a confirmed alert address (domain.alert_email)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from empirio.domain.billing import (
    AutoTopUp,
    Profile,
    Purchase,
    Terms,
    alert_action,
    auto_top_up_due,
    month_of,
    new_purchase_id,
    usd,
    with_payment,
)
from empirio.domain.money import format_usd
from empirio.errors import ApiError
from empirio.payments import Declined

if TYPE_CHECKING:
    from empirio.mail import Mailer
    from empirio.payments import Payments
    from empirio.store.profiles import ProfileStore
    from empirio.store.purchases import PurchaseStore

logger = logging.getLogger("empirio.billing")


class BalanceWatch:
    """The low-balance alert and auto top-up of watched accounts, over the profiles and purchases, Stripe, the
    mailer and the terms of sale."""

    def __init__(
        self,
        profiles: ProfileStore,
        purchases: PurchaseStore,
        payments: Payments,
        mailer: Mailer,
        terms: Terms,
    ) -> None:
        self.profiles, self.purchases, self.payments = profiles, purchases, payments
        self.mailer, self.terms = mailer, terms

    def watch_all(self) -> dict[str, int]:
        done = {"accounts": 0, "alerts": 0, "top_ups": 0}
        for account_id in self.profiles.watched():
            try:
                outcome = self.watch_account(account_id)
            except Exception:  # one account's trouble (Stripe down, a throttle) must not stop the others
                logger.exception("balance watch failed", extra={"account_id": account_id})
                done["failed"] = done.get("failed", 0) + 1
                continue
            done["accounts"] += 1
            done["alerts"] += outcome.count("alert")
            done["top_ups"] += outcome.count("top-up")
        return done

    def watch_stream(self, event: dict[str, Any]) -> list[str]:
        """A batch of the accounts table's stream records: each account named once, watched."""
        seen: list[str] = []
        for record in event.get("Records", []):
            image = (record.get("dynamodb") or {}).get("NewImage") or {}
            account_id = (image.get("account_id") or {}).get("S")
            if account_id and not account_id.startswith("__") and account_id not in seen:
                seen.append(account_id)
        for account_id in seen:
            self.watch_account(account_id)
        return seen

    def watch_account(self, account_id: str, now: int | None = None) -> list[str]:
        now = int(time.time()) if now is None else now
        profile = self.profiles.get(account_id)
        done: list[str] = []
        action = alert_action(profile)
        address = profile.alert_address
        if action == "send" and address and self.profiles.mark_alert(account_id):
            self.mailer.send(
                address,
                "Your EmpirioLabs balance is low",
                f"The balance of account {account_id} is ${format_usd(profile.available)}, below your alert threshold "
                f"of ${format_usd(profile.low_balance_threshold)}. Add credits on the Billing page to keep your "
                "requests running.",
            )
            done.append("alert")
        elif action == "rearm":
            self.profiles.rearm_alert(account_id)
        if self._top_up(profile, now):
            done.append("top-up")
        return done

    def _top_up(self, profile: Profile, now: int) -> bool:
        month = month_of(now)
        cents = auto_top_up_due(profile.available, profile.auto, profile.spent_in(month))
        if not cents:
            return False
        purchase = Purchase(
            purchase_id=new_purchase_id(),
            account_id=profile.account_id,
            amount_cents=cents,
            fee_cents=self.terms.fee(cents),
            source="auto",
            created_at=now,
        )
        if not self.profiles.claim_top_up(profile, purchase.purchase_id, month, now):
            return False  # another watcher has one in flight, or the balance or the month's cap moved
        self.purchases.create(purchase)
        auto = profile.auto
        try:
            result = self.payments.charge_saved_card(
                customer=auto.customer or "",
                payment_method=auto.payment_method or "",
                amount_cents=purchase.total_cents,
                metadata={
                    "account_id": profile.account_id,
                    "purchase_id": purchase.purchase_id,
                    "kind": "auto",
                },
                idempotency_key=f"auto-{purchase.purchase_id}",
            )
        except ApiError:
            # Unknown outcome: the top-up stays in flight (a success arrives as payment_intent.succeeded and is
            # credited then); a stale claim is taken again after INFLIGHT_STALE_SECONDS.
            logger.exception("auto top-up charge failed", extra={"account_id": profile.account_id})
            return True
        if isinstance(result, Declined) or result.get("status") != "succeeded":
            reason = result.message if isinstance(result, Declined) else f"payment {result.get('status')}"
            self._refused(profile, purchase, reason)
            return True
        charge = result.get("latest_charge")
        charge_id = charge.get("id") if isinstance(charge, dict) else charge
        receipt = charge.get("receipt_url") if isinstance(charge, dict) else None
        self.purchases.fulfil(with_payment(purchase, now, str(result["id"]), charge_id, receipt))
        self.profiles.finish_top_up(profile.account_id, purchase.purchase_id, succeeded=True)
        logger.info("auto top-up credited", extra={"account_id": profile.account_id, "amount": cents})
        return True

    def _refused(self, profile: Profile, purchase: Purchase, reason: str) -> None:
        self.purchases.close(purchase, "failed")
        after = self.profiles.finish_top_up(
            profile.account_id, purchase.purchase_id, succeeded=False, refund_cents=purchase.amount_cents
        )
        logger.warning("auto top-up refused", extra={"account_id": profile.account_id, "reason": reason})
        if after is None or after.auto.failures < AutoTopUp.MAX_FAILURES:
            return
        address = profile.alert_address
        if self.profiles.switch_off(profile.account_id, AutoTopUp.MAX_FAILURES) and address:
            self.mailer.send(
                address,
                "Auto top-up is off",
                f"Auto top-up of ${usd(purchase.amount_cents)} for account {profile.account_id} failed "
                f"{AutoTopUp.MAX_FAILURES} times in a row ({reason}), so it is switched off. Update your card and "
                "turn it on again on the Billing page.",
            )
