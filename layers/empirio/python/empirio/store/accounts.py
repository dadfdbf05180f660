"""AccountStore: accounts, balances and limits; every change is a conditional write or a transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.accounts import Account, Limits
from empirio.errors import IdempotencyConflictError, NotFoundError
from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)


def new_account_id() -> str:
    return "acct_" + secrets.token_hex(10)


def request_fingerprint(payload: dict[str, Any]) -> str:
    """Hash of a request body, stored beside an idempotency key to detect reuse with a different body."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def account_from_item(item: dict[str, Any]) -> Account:
    plain = from_item(item)
    return Account(
        account_id=plain["account_id"],
        name=plain.get("name", ""),
        available=plain.get("available", 0),
        held=plain.get("held", 0),
        topped_up=plain.get("topped_up", 0),
        charged=plain.get("charged", 0),
        limits=Limits(**{f: plain[f] for f in Limits.FIELDS if f in plain}),
        key_count=plain.get("key_count", 0),
        chat_count=plain.get("chat_count", 0),
        created_at=plain.get("created_at", 0),
        timezone=plain.get("timezone") or "UTC",
        rpm_tat=plain.get("rpm_tat"),
        tpm_tat=plain.get("tpm_tat"),
        reversed=plain.get("reversed", 0),
    )


@dataclass(frozen=True)
class TopUpResult:
    account: Account
    entry_id: str
    amount: int
    replayed: bool


class AccountStore:
    def __init__(self, client: Any, accounts_table: str, ledger_table: str) -> None:
        self._db = client
        self._accounts = accounts_table
        self._ledger = ledger_table

    def create(self, name: str, credits: int, limits: Limits | None = None) -> Account:
        """A new account, with its opening credit booked as a ledger top-up in the same transaction."""
        account, items = self.creation_items(name, credits, limits)
        call(self._db.transact_write_items, TransactItems=items)
        return account

    def creation_items(
        self, name: str, credits: int, limits: Limits | None = None
    ) -> tuple[Account, list[dict[str, Any]]]:
        """The transaction items that create an account (callers may add their own items to the transaction)."""
        limits = limits or Limits()
        now = int(time.time())
        account_id = new_account_id()
        account = {
            "account_id": account_id,
            "name": name,
            "available": credits,
            "held": 0,
            "topped_up": credits,
            "charged": 0,
            "key_count": 0,
            "chat_count": 0,
            "created_at": now,
            **{f: getattr(limits, f) for f in Limits.FIELDS},
        }
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._accounts,
                    "Item": to_item(account),
                    "ConditionExpression": "attribute_not_exists(account_id)",
                }
            }
        ]
        if credits:
            entry = {
                "account_id": account_id,
                "entry_id": "topup#opening",
                "kind": "topup",
                "amount": credits,
                "created_at": now,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._ledger,
                        "Item": to_item(entry),
                        "ConditionExpression": "attribute_not_exists(entry_id)",
                    }
                }
            )
        return account_from_item(to_item(account)), items

    def get(self, account_id: str, *, consistent: bool = False) -> Account | None:
        response = call(
            self._db.get_item,
            TableName=self._accounts,
            Key=to_item({"account_id": account_id}),
            ConsistentRead=consistent,
        )
        item = response.get("Item")
        return account_from_item(item) if item else None

    def require(self, account_id: str) -> Account:
        account = self.get(account_id, consistent=True)
        if account is None:
            raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found")
        return account

    def top_up(
        self, account_id: str, amount: int, idempotency_key: str | None, fingerprint: str
    ) -> TopUpResult:
        """Credit ``amount`` once per idempotency key: the ledger entry's key is the idempotency key, and the
        entry and the balance change are written in one transaction, so a replay cannot credit twice."""
        entry_id = f"topup#{idempotency_key or secrets.token_hex(16)}"
        entry = {
            "account_id": account_id,
            "entry_id": entry_id,
            "kind": "topup",
            "amount": amount,
            "fingerprint": fingerprint,
            "created_at": int(time.time()),
        }
        try:
            call(
                self._db.transact_write_items,
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._accounts,
                            "Key": to_item({"account_id": account_id}),
                            "UpdateExpression": "SET available = available + :a, topped_up = topped_up + :a",
                            "ConditionExpression": "attribute_exists(account_id)",
                            "ExpressionAttributeValues": values(a=amount),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._ledger,
                            "Item": to_item(entry),
                            "ConditionExpression": "attribute_not_exists(entry_id)",
                        }
                    },
                ],
            )
        except ClientError as error:
            if not is_transaction_cancelled(error):
                raise
            account_code, entry_code = cancellation_codes(error)[:2]
            if account_code == "ConditionalCheckFailed":
                raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found") from None
            if entry_code == "ConditionalCheckFailed":
                return self._replayed_top_up(account_id, entry_id, fingerprint)
            raise
        return TopUpResult(self.require(account_id), entry_id, amount, replayed=False)

    def _replayed_top_up(self, account_id: str, entry_id: str, fingerprint: str) -> TopUpResult:
        response = call(
            self._db.get_item,
            TableName=self._ledger,
            Key=to_item({"account_id": account_id, "entry_id": entry_id}),
            ConsistentRead=True,
        )
        stored = from_item(response["Item"])
        if stored.get("fingerprint") != fingerprint:
            raise IdempotencyConflictError(
                "This Idempotency-Key was already used with a different request body.",
                param="Idempotency-Key",
            )
        return TopUpResult(self.require(account_id), entry_id, stored["amount"], replayed=True)

    def set_limits(self, account_id: str, changes: dict[str, int]) -> Account:
        """Change some limits; the account must exist (conditional update). A changed rate limit starts with a
        full bucket: its stored state is measured in the old limit's units, so it is dropped, not rescaled."""
        if not changes:
            return self.require(account_id)
        names = {f"#{k}": k for k in changes}
        reset = [f"{k}_tat" for k in ("rpm", "tpm") if k in changes]
        try:
            response = call(
                self._db.update_item,
                TableName=self._accounts,
                Key=to_item({"account_id": account_id}),
                UpdateExpression="SET "
                + ", ".join(f"#{k} = :{k}" for k in changes)
                + (" REMOVE " + ", ".join(reset) if reset else ""),
                ConditionExpression="attribute_exists(account_id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values(**changes),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found") from None
            raise
        return account_from_item(response["Attributes"])

    def set_timezone(self, account_id: str, timezone: str) -> Account:
        """Set the IANA time zone the account's day boundaries follow (validated by the caller)."""
        try:
            response = call(
                self._db.update_item,
                TableName=self._accounts,
                Key=to_item({"account_id": account_id}),
                UpdateExpression="SET #tz = :tz",
                ConditionExpression="attribute_exists(account_id)",
                ExpressionAttributeNames={"#tz": "timezone"},
                ExpressionAttributeValues=values(tz=timezone),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFoundError(f"No account with id {account_id!r}.", code="account_not_found") from None
            raise
        return account_from_item(response["Attributes"])

    def list(self, limit: int = 100, start: str | None = None) -> tuple[list[Account], str | None]:
        """A page of accounts (operator view) and the cursor of the next page."""
        kwargs: dict[str, Any] = {"TableName": self._accounts, "Limit": limit}
        if start:
            kwargs["ExclusiveStartKey"] = to_item({"account_id": start})
        response = call(self._db.scan, **kwargs)
        last = response.get("LastEvaluatedKey")
        return [
            account_from_item(i)
            for i in response.get("Items", [])
            if not i["account_id"]["S"].startswith("__")
        ], (from_item(last)["account_id"] if last else None)
