"""ProfileStore: billing settings on the account item (alert threshold, auto top-up, Stripe customer) and the
conditional writes that make the low-balance alert fire once per dip and auto top-up charge once at a time, and
the alert address's confirmation (domain.alert_email): its token hash and expiry on the account item, and one
``__alert-mail#…`` item per address that rate-limits confirmation messages.

Accounts with a threshold or auto top-up carry ``watch_shard``: a sparse index the balance watch reads."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.alert_email import MAIL_INTERVAL_SECONDS, Confirmation, throttle_key
from empirio.domain.billing import INFLIGHT_STALE_SECONDS, AutoTopUp, Profile
from empirio.errors import NotFoundError
from empirio.store.dynamo import call, from_item, to_item, values

WATCH_SHARDS = tuple(f"w{i}" for i in range(4))


def _shard(account_id: str) -> str:
    return WATCH_SHARDS[sum(account_id.encode()) % len(WATCH_SHARDS)]


def profile_from_item(plain: dict[str, Any]) -> Profile:
    auto = plain.get("auto_topup") or {}
    return Profile(
        account_id=plain["account_id"],
        available=int(plain.get("available", 0)),
        low_balance_threshold=int(plain.get("low_balance_threshold", 0)),
        alert_email=plain.get("alert_email"),
        alert_email_confirmed=bool(plain.get("alert_email_confirmed", False)),
        alert_confirm_until=int(plain.get("alert_token_expires", 0)),
        alert_sent=bool(plain.get("low_alert_sent", False)),
        auto=AutoTopUp(
            enabled=bool(auto.get("enabled", False)),
            threshold=int(auto.get("threshold", 0)),
            amount_cents=int(auto.get("amount_cents", 0)),
            monthly_cap_cents=int(auto.get("monthly_cap_cents", 0)),
            payment_method=auto.get("payment_method"),
            customer=auto.get("customer"),
            failures=int(auto.get("failures", 0)),
        ),
        customer=plain.get("stripe_customer"),
        inflight=plain.get("topup_inflight"),
        inflight_at=int(plain.get("topup_inflight_at", 0)),
        month=plain.get("topup_month"),
        month_cents=int(plain.get("topup_month_cents", 0)),
    )


def _failed_condition(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class ProfileStore:
    def __init__(self, client: Any, accounts_table: str) -> None:
        self._db = client
        self._accounts = accounts_table

    def _update(self, account_id: str, **kwargs: Any) -> dict[str, Any] | None:
        """One conditional update of the account item; None when its condition failed."""
        try:
            response = call(
                self._db.update_item,
                TableName=self._accounts,
                Key=to_item({"account_id": account_id}),
                ReturnValues="ALL_NEW",
                **kwargs,
            )
        except ClientError as error:
            if _failed_condition(error):
                return None
            raise
        return from_item(response["Attributes"])

    def get(self, account_id: str) -> Profile:
        response = call(
            self._db.get_item,
            TableName=self._accounts,
            Key=to_item({"account_id": account_id}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found")
        return profile_from_item(from_item(response["Item"]))

    def save(self, profile: Profile) -> Profile:
        """Store the settings part of a profile (threshold, auto top-up), indexing it when watched. The alert
        address is not written here: only through ``set_alert_email`` (it starts unconfirmed)."""
        auto = profile.auto
        auto_map = {
            "enabled": auto.enabled,
            "threshold": auto.threshold,
            "amount_cents": auto.amount_cents,
            "monthly_cap_cents": auto.monthly_cap_cents,
            "payment_method": auto.payment_method,
            "customer": auto.customer,
            "failures": auto.failures,
        }
        sets = ["low_balance_threshold = :t", "auto_topup = :auto"]
        removes = []
        vals: dict[str, Any] = {
            "t": profile.low_balance_threshold,
            "auto": {k: v for k, v in auto_map.items() if v is not None},
        }
        if profile.watched:
            sets.append("watch_shard = :shard")
            vals["shard"] = _shard(profile.account_id)
        else:
            removes.append("watch_shard")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        stored = self._update(
            profile.account_id,
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(account_id)",
            ExpressionAttributeValues=values(**vals),
        )
        if stored is None:
            raise NotFoundError(f"No account with id {profile.account_id!r}.", code="account_not_found")
        return profile_from_item(stored)

    def set_customer(self, account_id: str, customer: str) -> None:
        self._update(
            account_id,
            UpdateExpression="SET stripe_customer = :c",
            ConditionExpression="attribute_exists(account_id) AND attribute_not_exists(stripe_customer)",
            ExpressionAttributeValues=values(c=customer),
        )

    def watched(self) -> list[str]:
        """Every account with a threshold or auto top-up (the sparse index)."""
        out: list[str] = []
        for shard in WATCH_SHARDS:
            kwargs: dict[str, Any] = {
                "TableName": self._accounts,
                "IndexName": "watched",
                "KeyConditionExpression": "watch_shard = :s",
                "ExpressionAttributeValues": values(s=shard),
                "ProjectionExpression": "account_id",
            }
            while True:
                response = call(self._db.query, **kwargs)
                out += [i["account_id"]["S"] for i in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return out

    # -- the alert address ------------------------------------------------------------------------------------
    def set_alert_email(self, account_id: str, email: str, pending: Confirmation | None) -> Profile:
        """Store a new alert address: confirmed (``pending`` None: a verified address of the account's person) or
        waiting for ``pending``'s token; either way an earlier token stops working."""
        if pending is None:
            update = "SET alert_email = :e, alert_email_confirmed = :yes REMOVE alert_token_hash, alert_token_expires"
            vals: dict[str, Any] = {"e": email, "yes": True}
        else:
            update = (
                "SET alert_email = :e, alert_email_confirmed = :no, alert_token_hash = :h, "
                "alert_token_expires = :x"
            )
            vals = {"e": email, "no": False, "h": pending.hash, "x": pending.expires_at}
        stored = self._update(
            account_id,
            UpdateExpression=update,
            ConditionExpression="attribute_exists(account_id)",
            ExpressionAttributeValues=values(**vals),
        )
        if stored is None:
            raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found")
        return profile_from_item(stored)

    def confirm_alert_email(self, account_id: str, hash_: str, now: int) -> Profile | None:
        """Confirm the pending address whose token hashes to ``hash_``, once and only before it expires; None when
        no such live token (wrong, used, expired, or replaced by a newer address)."""
        stored = self._update(
            account_id,
            UpdateExpression="SET alert_email_confirmed = :yes REMOVE alert_token_hash, alert_token_expires",
            ConditionExpression="alert_token_hash = :h AND alert_token_expires > :now",
            ExpressionAttributeValues=values(yes=True, h=hash_, now=now),
        )
        return profile_from_item(stored) if stored is not None else None

    def claim_confirmation_mail(self, address: str, now: int) -> bool:
        """Take the address's one confirmation message per MAIL_INTERVAL_SECONDS (across every account)."""
        try:
            call(
                self._db.put_item,
                TableName=self._accounts,
                Item=to_item({"account_id": throttle_key(address), "mail_at": now}),
                ConditionExpression="attribute_not_exists(account_id) OR mail_at <= :before",
                ExpressionAttributeValues=values(before=now - MAIL_INTERVAL_SECONDS),
            )
        except ClientError as error:
            if _failed_condition(error):
                return False
            raise
        return True

    # -- the low-balance alert ---------------------------------------------------------------------------------
    def mark_alert(self, account_id: str) -> bool:
        """Claim this dip's alert: only while the balance is under the threshold and no alert was sent."""
        return (
            self._update(
                account_id,
                UpdateExpression="SET low_alert_sent = :yes",
                ConditionExpression="available < low_balance_threshold AND "
                "(attribute_not_exists(low_alert_sent) OR low_alert_sent = :no)",
                ExpressionAttributeValues=values(yes=True, no=False),
            )
            is not None
        )

    def rearm_alert(self, account_id: str) -> bool:
        return (
            self._update(
                account_id,
                UpdateExpression="SET low_alert_sent = :no",
                ConditionExpression="available >= low_balance_threshold AND low_alert_sent = :yes",
                ExpressionAttributeValues=values(yes=True, no=False),
            )
            is not None
        )

    # -- auto top-up -------------------------------------------------------------------------------------------
    def claim_top_up(self, profile: Profile, purchase_id: str, month: str, now: int) -> bool:
        """Claim the account's one in-flight auto top-up: only while enabled, under its threshold, none in flight
        (or the one in flight is stale) and the month's cap has room; the month's total moves with the claim."""
        auto = profile.auto
        conditions = [
            "auto_topup.enabled = :yes",
            "available < auto_topup.threshold",
            "(attribute_not_exists(topup_inflight) OR topup_inflight_at < :stale)",
        ]
        vals: dict[str, Any] = {
            "yes": True,
            "stale": now - INFLIGHT_STALE_SECONDS,
            "pid": purchase_id,
            "now": now,
            "amt": auto.amount_cents,
            "month": month,
        }
        if profile.month == month:
            update = "SET topup_inflight = :pid, topup_inflight_at = :now, topup_month_cents = topup_month_cents + :amt"
            conditions.append("topup_month = :month")
            if auto.monthly_cap_cents:
                conditions.append("topup_month_cents <= :room")
                vals["room"] = auto.monthly_cap_cents - auto.amount_cents
        else:
            update = (
                "SET topup_inflight = :pid, topup_inflight_at = :now, topup_month = :month, "
                "topup_month_cents = :amt"
            )
            conditions.append("(attribute_not_exists(topup_month) OR topup_month <> :month)")
        return (
            self._update(
                profile.account_id,
                UpdateExpression=update,
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeValues=values(**vals),
            )
            is not None
        )

    def finish_top_up(
        self, account_id: str, purchase_id: str, *, succeeded: bool, refund_cents: int = 0
    ) -> Profile | None:
        """End the in-flight top-up ``purchase_id``: on success the failure count restarts; on a refusal it grows
        by one and the month's total gives the amount back. None if that top-up was no longer in flight."""
        if succeeded:
            update = "REMOVE topup_inflight, topup_inflight_at SET auto_topup.failures = :zero"
            vals: dict[str, Any] = {"pid": purchase_id, "zero": 0}
        else:
            update = (
                "REMOVE topup_inflight, topup_inflight_at "
                "SET auto_topup.failures = auto_topup.failures + :one, topup_month_cents = topup_month_cents - :amt"
            )
            vals = {"pid": purchase_id, "one": 1, "amt": refund_cents}
        stored = self._update(
            account_id,
            UpdateExpression=update,
            ConditionExpression="topup_inflight = :pid",
            ExpressionAttributeValues=values(**vals),
        )
        return profile_from_item(stored) if stored is not None else None

    def switch_off(self, account_id: str, max_failures: int) -> bool:
        """Turn auto top-up off after too many failures (once: only while it is on)."""
        return (
            self._update(
                account_id,
                UpdateExpression="SET auto_topup.enabled = :no",
                ConditionExpression="auto_topup.enabled = :yes AND auto_topup.failures >= :max",
                ExpressionAttributeValues=values(yes=True, no=False, max=max_failures),
            )
            is not None
        )

    def save_card(self, account_id: str, customer: str, payment_method: str) -> None:
        """A card saved through Checkout (setup mode) becomes the auto top-up's card; failures start over."""
        self._update(
            account_id,
            UpdateExpression="SET auto_topup.payment_method = :pm, auto_topup.customer = :c, "
            "auto_topup.failures = :zero",
            ConditionExpression="attribute_exists(auto_topup)",
            ExpressionAttributeValues=values(pm=payment_method, c=customer, zero=0),
        ) or self._update(
            account_id,
            UpdateExpression="SET auto_topup = :auto",
            ConditionExpression="attribute_exists(account_id) AND attribute_not_exists(auto_topup)",
            ExpressionAttributeValues=values(
                auto={"enabled": False, "payment_method": payment_method, "customer": customer, "failures": 0}
            ),
        )
