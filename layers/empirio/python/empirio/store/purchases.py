"""PurchaseStore: purchases of credits (``purchase#<id>`` items in the ledger table), their fulfilment and what
refunds and disputes take back. Every change of money is one transaction with the purchase moving conditionally,
so a webhook that arrives twice, concurrently or late changes the books at most once."""

from __future__ import annotations

import builtins
import time
from dataclasses import fields
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.billing import Purchase
from empirio.errors import NotFoundError
from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)

PREFIX = "purchase#"
_FIELDS = {f.name for f in fields(Purchase)}


def purchase_from_item(item: dict[str, Any]) -> Purchase:
    plain = from_item(item)
    return Purchase(**{k: v for k, v in plain.items() if k in _FIELDS})


class PurchaseStore:
    def __init__(self, client: Any, accounts_table: str, ledger_table: str) -> None:
        self._db = client
        self._accounts = accounts_table
        self._ledger = ledger_table

    def _key(self, account_id: str, purchase_id: str) -> dict[str, Any]:
        return to_item({"account_id": account_id, "entry_id": PREFIX + purchase_id})

    def create(self, purchase: Purchase) -> None:
        item = {
            **{k: v for k, v in purchase.__dict__.items() if v is not None},
            "entry_id": PREFIX + purchase.purchase_id,
            "kind": "purchase",
        }
        call(
            self._db.put_item,
            TableName=self._ledger,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(entry_id)",
        )

    def get(self, account_id: str, purchase_id: str) -> Purchase | None:
        response = call(
            self._db.get_item,
            TableName=self._ledger,
            Key=self._key(account_id, purchase_id),
            ConsistentRead=True,
        )
        return purchase_from_item(response["Item"]) if "Item" in response else None

    def require(self, account_id: str, purchase_id: str) -> Purchase:
        purchase = self.get(account_id, purchase_id)
        if purchase is None:
            raise NotFoundError(f"No purchase with id {purchase_id!r}.", code="purchase_not_found")
        return purchase

    def list(self, account_id: str, limit: int = 100) -> list[Purchase]:
        """The account's purchases, newest first."""
        out = [purchase_from_item(i) for i in self._prefixed(account_id, PREFIX, consistent=True)]
        out.sort(key=lambda p: (p.created_at, p.purchase_id), reverse=True)
        return out[:limit]

    def set_session(self, purchase: Purchase, session_id: str) -> None:
        call(
            self._db.update_item,
            TableName=self._ledger,
            Key=self._key(purchase.account_id, purchase.purchase_id),
            UpdateExpression="SET checkout_session_id = :s",
            ConditionExpression="#state = :pending",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=values(s=session_id, pending="pending"),
        )

    def close(self, purchase: Purchase, state: str) -> bool:
        """A pending purchase that will not be paid (expired, failed); False if it was no longer pending."""
        try:
            call(
                self._db.update_item,
                TableName=self._ledger,
                Key=self._key(purchase.account_id, purchase.purchase_id),
                UpdateExpression="SET #state = :new",
                ConditionExpression="#state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values(new=state, pending="pending"),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def fulfil(self, paid: Purchase, extra: builtins.list[dict[str, Any]] | None = None) -> bool:
        """Credit a paid purchase: the purchase moves from pending (or failed: a late success) to paid, the
        balance and the ledger's top-up entry change with it, in one transaction. False when it was already paid
        (nothing changed). ``extra`` items join the transaction (an auto top-up's in-flight marker)."""
        now = int(time.time())
        entry = {
            "account_id": paid.account_id,
            "entry_id": f"topup#{PREFIX}{paid.purchase_id}",
            "kind": "topup",
            "amount": paid.credit,
            "purchase_id": paid.purchase_id,
            "fee": paid.fee_cents,
            "created_at": now,
        }
        items: builtins.list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._ledger,
                    "Key": self._key(paid.account_id, paid.purchase_id),
                    "UpdateExpression": "SET #state = :paid, paid_at = :now, payment_intent_id = :pi, "
                    "charge_id = :ch, receipt_url = :receipt",
                    "ConditionExpression": "#state IN (:pending, :failed, :expired) AND amount_cents = :amount",
                    "ExpressionAttributeNames": {"#state": "state"},
                    "ExpressionAttributeValues": values(
                        paid="paid",
                        now=paid.paid_at or now,
                        pi=paid.payment_intent_id or "",
                        ch=paid.charge_id or "",
                        receipt=paid.receipt_url or "",
                        pending="pending",
                        failed="failed",
                        expired="expired",
                        amount=paid.amount_cents,
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self._accounts,
                    "Key": to_item({"account_id": paid.account_id}),
                    "UpdateExpression": "SET available = available + :a, topped_up = topped_up + :a",
                    "ConditionExpression": "attribute_exists(account_id)",
                    "ExpressionAttributeValues": values(a=paid.credit),
                }
            },
            self._new_entry(entry),
            *(extra or []),
        ]
        try:
            call(self._db.transact_write_items, TransactItems=items)
        except ClientError as error:
            if is_transaction_cancelled(error) and cancellation_codes(error)[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def take_back(self, purchase: Purchase, kind: str, field: str, new_total: int, entry_suffix: str) -> str:
        """Debit ``new_total - purchase.<field>`` (refunds or disputes so far) from the balance, conditional on
        the purchase still showing the value read, with a ``<kind>#<purchase>#<suffix>`` ledger entry: "done";
        "already" when that entry exists (this event was applied before); "retry" when another writer changed
        the purchase first (re-read and decide again). The balance may go below zero: the customer spent credit
        that was then taken back."""
        delta = new_total - getattr(purchase, field)
        if delta <= 0:
            return "already"
        entry = {
            "account_id": purchase.account_id,
            "entry_id": f"{kind}#{purchase.purchase_id}#{entry_suffix}",
            "kind": kind,
            "amount": delta,
            "purchase_id": purchase.purchase_id,
            "created_at": int(time.time()),
        }
        unchanged = "(#f = :old OR attribute_not_exists(#f))" if not getattr(purchase, field) else "#f = :old"
        items = [
            {
                "Update": {
                    "TableName": self._ledger,
                    "Key": self._key(purchase.account_id, purchase.purchase_id),
                    "UpdateExpression": "SET #f = :new",
                    "ConditionExpression": "#state = :paid AND " + unchanged,
                    "ExpressionAttributeNames": {"#f": field, "#state": "state"},
                    "ExpressionAttributeValues": values(
                        new=new_total, old=getattr(purchase, field), paid="paid"
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self._accounts,
                    "Key": to_item({"account_id": purchase.account_id}),
                    "UpdateExpression": "SET available = available - :d ADD reversed :d",
                    "ConditionExpression": "attribute_exists(account_id)",
                    "ExpressionAttributeValues": values(d=delta),
                }
            },
            self._new_entry(entry),
        ]
        try:
            call(self._db.transact_write_items, TransactItems=items)
        except ClientError as error:
            if not is_transaction_cancelled(error):
                raise
            codes = cancellation_codes(error)
            if codes[2] == "ConditionalCheckFailed":
                return "already"
            if codes[0] == "ConditionalCheckFailed":
                return "retry"
            raise
        return "done"

    def entries(self, account_id: str, prefix: str) -> builtins.list[dict[str, Any]]:
        """Ledger entries of one kind (``topup#``, ``refund#``, ``dispute#``), oldest first."""
        out = [from_item(i) for i in self._prefixed(account_id, prefix)]
        return sorted(out, key=lambda e: (e.get("created_at", 0), e["entry_id"]))

    def _prefixed(
        self, account_id: str, prefix: str, *, consistent: bool = False
    ) -> builtins.list[dict[str, Any]]:
        """Every ledger item of the account whose entry id starts with ``prefix`` (all pages)."""
        items: builtins.list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._ledger,
            "KeyConditionExpression": "account_id = :a AND begins_with(entry_id, :p)",
            "ExpressionAttributeValues": values(a=account_id, p=prefix),
            "ConsistentRead": consistent,
        }
        while True:
            response = call(self._db.query, **kwargs)
            items += response.get("Items", [])
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _new_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A transaction item writing a ledger entry once (its id must be new)."""
        return {
            "Put": {
                "TableName": self._ledger,
                "Item": to_item(entry),
                "ConditionExpression": "attribute_not_exists(entry_id)",
            }
        }
