"""LedgerStore: the admission and settlement transactions, voids and the sweeper's expiries.

Every method is one DynamoDB transaction whose conditions make it safe to retry and safe to race: a hold entry
is keyed by request id (admitting twice is impossible), and a hold leaves ``pending`` exactly once (a settle, a
void and a sweep race on that one condition; the loser changes nothing). The hold entry is also the record of
its resolution: its status (settled, voided, expired), when, and a settle's charge (and house loss), so a
settle writes three items (hold, account, usage record) and a release two.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.ledger import PENDING_SHARDS, Settlement, pending_shard, pending_until
from empirio.domain.limits import BucketPlan, correction_us
from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)
from empirio.store.transact import Transactions

HOUSE_ACCOUNT = "__house__"
IDEMPOTENCY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class HoldRequest:
    """Everything the admission transaction writes, planned in advance (pure) by the caller."""

    account_id: str
    request_id: str
    key_id: str
    model: str
    amount: int  # micro-USD held
    tpm_cost: int  # tokens reserved (prompt estimate + output cap)
    assumed_rpm: int
    assumed_tpm: int
    rpm: BucketPlan
    tpm: BucketPlan
    now_us: int
    expires_at: int  # epoch seconds
    idem_key: str | None = None
    fingerprint: str | None = None
    spend_key: str | None = None  # a capped key's spend item for this period (empirio.domain.key_policy)
    spend_room: int = 0  # the most the spend item may hold before this hold is added: cap - amount


@dataclass
class AdmitConflict(Exception):
    """The admission's conditions failed; the stored items (as they were) say why."""

    account: dict[str, Any] | None = None
    idempotency: dict[str, Any] | None = None
    key_spend: int | None = None  # a capped key's spend item had no room for the hold: what it holds
    contended: bool = False  # lost to concurrent transactions on the same items: nothing was decided


@dataclass(frozen=True)
class Hold:
    """A pending hold as stored (what settle, void and expire need)."""

    account_id: str
    request_id: str
    amount: int
    tpm_cost: int = 0
    tpm_limit: int = 0  # the TPM limit the reservation was made under (to correct the bucket at settle)
    idem_key: str | None = None
    expires_at: int = 0
    spend_key: str | None = None


@dataclass(frozen=True)
class SettleResult:
    settled: bool  # False: the hold was already resolved by a void or a sweep; nothing was charged
    already: bool = False  # True: this very settle had already been applied (a retried write)
    extra: dict[str, Any] = field(default_factory=dict)


def _token(phase: str, request_id: str) -> str:
    """ClientRequestToken: DynamoDB applies a retried identical transaction once (for 10 minutes)."""
    return hashlib.blake2b(f"{phase}:{request_id}".encode(), digest_size=16).hexdigest()


def _bucket_expression(attr: str, plan: BucketPlan) -> tuple[str, str]:
    """(condition, update) for one token bucket (see empirio.domain.limits)."""
    if plan.busy:
        return f"{attr} BETWEEN :{attr}_from AND :{attr}_deadline", f"{attr} = {attr} + :{attr}_inc"
    return f"(attribute_not_exists({attr}) OR {attr} < :{attr}_from)", f"{attr} = :{attr}_new"


class LedgerStore:
    def __init__(
        self, client: Any, accounts: str, ledger: str, usage: str, idempotency: str, keys: str = ""
    ) -> None:
        self._db = client
        self._accounts = accounts
        self._ledger = ledger
        self._usage = usage
        self._idem = idempotency
        self._keys = keys  # capped keys' spend items live beside the keys
        self._transactions: Transactions | None = None  # the hot path's lean TransactWriteItems

    # -- admission -------------------------------------------------------------------------------------------
    def admit(self, req: HoldRequest) -> None:
        """Hold credits and take RPM/TPM capacity in one transaction, or raise AdmitConflict with the reasons."""
        rpm_cond, rpm_set = _bucket_expression("rpm_tat", req.rpm)
        tpm_cond, tpm_set = _bucket_expression("tpm_tat", req.tpm)
        now_s = req.now_us // 1_000_000
        account_update = {
            "TableName": self._accounts,
            "Key": to_item({"account_id": req.account_id}),
            "UpdateExpression": f"SET available = available - :hold, held = held + :hold, {rpm_set}, {tpm_set}",
            "ConditionExpression": (
                f"attribute_exists(account_id) AND available >= :hold AND rpm = :rpm AND tpm = :tpm "
                f"AND {rpm_cond} AND {tpm_cond}"
            ),
            "ExpressionAttributeValues": values(
                hold=req.amount,
                rpm=req.assumed_rpm,
                tpm=req.assumed_tpm,
                **_plan_values("rpm_tat", req.rpm),
                **_plan_values("tpm_tat", req.tpm),
            ),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        entry = {
            "account_id": req.account_id,
            "entry_id": f"hold#{req.request_id}",
            "kind": "hold",
            "request_id": req.request_id,
            "key_id": req.key_id,
            "model": req.model,
            "amount": req.amount,
            "tpm_cost": req.tpm_cost,
            "tpm_limit": req.assumed_tpm,
            "status": "pending",
            "pending_shard": pending_shard(req.request_id),
            "pending_until": pending_until(req.expires_at),
            "expires_at": req.expires_at,
            "idem_key": req.idem_key,
            "spend_key": req.spend_key,
            "created_at": now_s,
        }
        items: list[dict[str, Any]] = [
            {"Update": account_update},
            {
                "Put": {
                    "TableName": self._ledger,
                    "Item": to_item(entry),
                    "ConditionExpression": "attribute_not_exists(entry_id)",
                }
            },
        ]
        if req.idem_key:
            record = {
                "idem_key": req.idem_key,
                "fingerprint": req.fingerprint,
                "status": "in_progress",
                "request_id": req.request_id,
                "account_id": req.account_id,
                "expires_at": now_s + IDEMPOTENCY_SECONDS,
                "ttl": now_s + 2 * IDEMPOTENCY_SECONDS,
            }
            items.append(
                {
                    "Put": {
                        "TableName": self._idem,
                        "Item": to_item(record),
                        "ConditionExpression": "attribute_not_exists(idem_key) OR expires_at < :now_s",
                        "ExpressionAttributeValues": values(now_s=now_s),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        if req.spend_key:
            items.append(
                {
                    "Update": {
                        "TableName": self._keys,
                        "Key": to_item({"key_hash": req.spend_key}),
                        "UpdateExpression": "ADD spend :hold",
                        "ConditionExpression": "attribute_not_exists(spend) OR spend <= :room",
                        "ExpressionAttributeValues": values(hold=req.amount, room=req.spend_room),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
            )
        try:
            self._write(items, _token("admit", req.request_id))
        except ClientError as error:
            if not is_transaction_cancelled(error):
                raise
            reasons = error.response.get("CancellationReasons") or []
            codes = cancellation_codes(error)
            if codes[1] == "ConditionalCheckFailed":
                return  # our own hold entry exists: a retried admission that had already been applied
            conflict = AdmitConflict(contended="TransactionConflict" in codes)
            failed = [i for i, code in enumerate(codes) if code == "ConditionalCheckFailed"]
            if 0 in failed:
                conflict.account = from_item(reasons[0].get("Item") or {}) or None
            if req.idem_key and 2 in failed:
                conflict.idempotency = from_item(reasons[2].get("Item") or {})
            if req.spend_key and len(codes) - 1 in failed:
                conflict.key_spend = int(from_item(reasons[-1].get("Item") or {}).get("spend", 0))
            if not failed and not conflict.contended:
                raise
            raise conflict from None

    # -- resolution ------------------------------------------------------------------------------------------
    def settle(
        self,
        hold: Hold,
        settlement: Settlement,
        actual_tokens: int,
        usage_record: dict[str, Any],
        idem_response: dict[str, Any] | None = None,
    ) -> SettleResult:
        """Charge, release, correct TPM, write the usage record and the idempotent response, all or nothing."""
        tpm_delta = correction_us(hold.tpm_limit, hold.tpm_cost, actual_tokens)
        resolved = {
            "charge": settlement.charge,
            **({"house_loss": settlement.house_loss} if settlement.house_loss else {}),
        }
        items = [
            self._resolve_hold(hold, "settled", extra=resolved),
            self._release_account(
                hold, release=settlement.release, charge=settlement.charge, tpm_delta=tpm_delta
            ),
            self._usage_put(usage_record),
        ]
        if settlement.house_loss:
            items.append(
                {
                    "Update": {
                        "TableName": self._accounts,
                        "Key": to_item({"account_id": HOUSE_ACCOUNT}),
                        "UpdateExpression": "ADD house_loss :loss, loss_count :one",
                        "ExpressionAttributeValues": values(loss=settlement.house_loss, one=1),
                    }
                }
            )
        if hold.spend_key and settlement.release:
            items.append(self._release_spend(hold, settlement.release))
        if hold.idem_key and idem_response is not None:
            items.append(
                {
                    "Update": {
                        "TableName": self._idem,
                        "Key": to_item({"idem_key": hold.idem_key}),
                        "UpdateExpression": "SET #status = :done, #response = :response",
                        "ConditionExpression": "request_id = :rid",
                        "ExpressionAttributeNames": {"#status": "status", "#response": "response"},
                        "ExpressionAttributeValues": values(
                            done="done", response=idem_response, rid=hold.request_id
                        ),
                    }
                }
            )
        return self._resolve(items, "settle", hold, expect="settled")

    def void(self, hold: Hold, usage_record: dict[str, Any] | None = None) -> SettleResult:
        """Release the whole hold (the upstream call failed); TPM reservation refunded, idempotency key freed,
        and the failed request's usage record (no usage, no cost) written with it when given."""
        return self._release(hold, "voided", "void", refund_tpm=True, usage_record=usage_record)

    def expire(self, hold: Hold, now: int | None = None) -> SettleResult:
        """The sweeper's release of a hold past its expiry (conditional on the expiry, so never early)."""
        return self._release(hold, "expired", "expire", refund_tpm=False, now=now)

    def _release(
        self,
        hold: Hold,
        status: str,
        kind: str,
        *,
        refund_tpm: bool,
        now: int | None = None,
        usage_record: dict[str, Any] | None = None,
    ) -> SettleResult:
        now = int(time.time()) if now is None else now
        items = [
            self._resolve_hold(hold, status, before=now if kind == "expire" else None),
            self._release_account(
                hold,
                release=hold.amount,
                charge=0,
                tpm_delta=correction_us(hold.tpm_limit, hold.tpm_cost, 0) if refund_tpm else 0,
            ),
        ]
        if hold.spend_key:
            items.append(self._release_spend(hold, hold.amount))
        if usage_record is not None:
            items.append(self._usage_put(usage_record))
        if hold.idem_key:
            items.append(
                {
                    "Delete": {
                        "TableName": self._idem,
                        "Key": to_item({"idem_key": hold.idem_key}),
                        "ConditionExpression": "attribute_not_exists(idem_key) OR request_id = :rid",
                        "ExpressionAttributeValues": values(rid=hold.request_id),
                    }
                }
            )
        return self._resolve(items, kind, hold, expect=status)

    def _usage_put(self, usage_record: dict[str, Any]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._usage,
                "Item": to_item(usage_record),
                "ConditionExpression": "attribute_not_exists(request_id)",
            }
        }

    def _resolve(self, items: list[dict[str, Any]], phase: str, hold: Hold, expect: str) -> SettleResult:
        try:
            self._write(items, _token(phase, hold.request_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "IdempotentParameterMismatchException":
                # Another observer of the same job resolved this hold with other values (its own time) under
                # the same token, within DynamoDB's 10 minutes: nothing was written by this call.
                stored = self.hold_entry(hold.account_id, hold.request_id) or {}
                return SettleResult(settled=False, already=stored.get("status") == expect, extra=stored)
            if (
                not is_transaction_cancelled(error)
                or cancellation_codes(error)[0] != "ConditionalCheckFailed"
            ):
                raise
            stored = from_item(error.response["CancellationReasons"][0].get("Item") or {})
            # The hold had already left pending: either this same resolution (a retry after a lost response),
            # or a competing one (a sweep beat a late settle, or the reverse). Nothing was written either way.
            return SettleResult(settled=False, already=stored.get("status") == expect, extra=stored)
        return SettleResult(settled=True)

    def _resolve_hold(
        self, hold: Hold, status: str, *, before: int | None = None, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        condition = "#status = :pending" + (" AND expires_at < :before" if before is not None else "")
        sets = ", ".join(f"{k} = :x_{k}" for k in (extra or {}))
        vals = values(
            pending="pending",
            new_status=status,
            resolved_at=int(time.time()),
            **({"before": before} if before is not None else {}),
            **{f"x_{k}": v for k, v in (extra or {}).items()},
        )
        return {
            "Update": {
                "TableName": self._ledger,
                "Key": to_item({"account_id": hold.account_id, "entry_id": f"hold#{hold.request_id}"}),
                "UpdateExpression": "SET #status = :new_status, resolved_at = :resolved_at"
                + (f", {sets}" if sets else "")
                + " REMOVE pending_shard, pending_until",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": vals,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _release_account(self, hold: Hold, *, release: int, charge: int, tpm_delta: int) -> dict[str, Any]:
        update = "SET held = held - :hold, available = available + :release, charged = charged + :charge"
        vals: dict[str, Any] = {"hold": hold.amount, "release": release, "charge": charge}
        if tpm_delta:
            update += ", tpm_tat = if_not_exists(tpm_tat, :zero) + :tpm_delta"
            vals.update(zero=0, tpm_delta=tpm_delta)
        return {
            "Update": {
                "TableName": self._accounts,
                "Key": to_item({"account_id": hold.account_id}),
                "UpdateExpression": update,
                "ConditionExpression": "held >= :hold",
                "ExpressionAttributeValues": values(**vals),
            }
        }

    def _release_spend(self, hold: Hold, release: int) -> dict[str, Any]:
        """What was held against a capped key's period and not charged goes back to that period's room."""
        return {
            "Update": {
                "TableName": self._keys,
                "Key": to_item({"key_hash": hold.spend_key}),
                "UpdateExpression": "ADD spend :minus",
                "ExpressionAttributeValues": values(minus=-release),
            }
        }

    def _write(self, items: list[dict[str, Any]], token: str) -> None:
        if self._transactions is None:
            self._transactions = Transactions(self._db)
        call(self._transactions.send, retry_transport=2, TransactItems=items, ClientRequestToken=token)

    # -- reads -----------------------------------------------------------------------------------------------
    def pending_holds(self, now: int, limit: int = 500) -> list[Hold]:
        """Pending holds whose expiry has passed (from the sparse index; the expire condition re-checks)."""
        holds: list[Hold] = []
        for shard in PENDING_SHARDS:
            kwargs: dict[str, Any] = {
                "TableName": self._ledger,
                "IndexName": "pending",
                "KeyConditionExpression": "pending_shard = :s AND pending_until < :now",
                "ExpressionAttributeValues": values(s=shard, now=pending_until(now)),
            }
            while len(holds) < limit:
                response = call(self._db.query, **kwargs)
                holds += [hold_from_entry(from_item(i)) for i in response.get("Items", [])]
                if "LastEvaluatedKey" not in response:
                    break
                kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return holds[:limit]

    def entries(self, account_id: str) -> list[dict[str, Any]]:
        """Every ledger entry of an account (for reconciliation and tests)."""
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._ledger,
            "KeyConditionExpression": "account_id = :a",
            "ExpressionAttributeValues": values(a=account_id),
            "ConsistentRead": True,
        }
        while True:
            response = call(self._db.query, **kwargs)
            out += [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return out
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def store_response(self, idem_key: str, request_id: str, response: dict[str, Any]) -> None:
        """Complete an Idempotency-Key before its hold resolves (a job's creation answers long before it ends)."""
        try:
            call(
                self._db.update_item,
                TableName=self._idem,
                Key=to_item({"idem_key": idem_key}),
                UpdateExpression="SET #status = :done, #response = :response",
                ConditionExpression="request_id = :rid",
                ExpressionAttributeNames={"#status": "status", "#response": "response"},
                ExpressionAttributeValues=values(done="done", response=response, rid=request_id),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def account_item(self, account_id: str) -> dict[str, Any] | None:
        """The account item as stored now (a consistent read): what admission decides a refusal from."""
        response = call(
            self._db.get_item,
            TableName=self._accounts,
            Key=to_item({"account_id": account_id}),
            ConsistentRead=True,
        )
        return from_item(response["Item"]) if "Item" in response else None

    def key_spend(self, spend_key: str) -> int:
        """What a capped key's period has spent or holds now (a consistent read; 0 before its first request)."""
        response = call(
            self._db.get_item,
            TableName=self._keys,
            Key=to_item({"key_hash": spend_key}),
            ConsistentRead=True,
        )
        return int(from_item(response.get("Item") or {}).get("spend", 0))

    def hold_entry(self, account_id: str, request_id: str) -> dict[str, Any] | None:
        """A request's hold entry as stored (its status: pending, settled, voided or expired)."""
        response = call(
            self._db.get_item,
            TableName=self._ledger,
            Key=to_item({"account_id": account_id, "entry_id": f"hold#{request_id}"}),
            ConsistentRead=True,
        )
        return from_item(response["Item"]) if "Item" in response else None

    def idempotency_record(self, idem_key: str) -> dict[str, Any] | None:
        response = call(
            self._db.get_item, TableName=self._idem, Key=to_item({"idem_key": idem_key}), ConsistentRead=True
        )
        return from_item(response["Item"]) if "Item" in response else None


def hold_from_entry(entry: dict[str, Any]) -> Hold:
    return Hold(
        account_id=entry["account_id"],
        request_id=entry["request_id"],
        amount=entry["amount"],
        tpm_cost=entry.get("tpm_cost", 0),
        tpm_limit=entry.get("tpm_limit", 0),
        idem_key=entry.get("idem_key"),
        expires_at=entry.get("expires_at", 0),
        spend_key=entry.get("spend_key"),
    )


def _plan_values(attr: str, plan: BucketPlan) -> dict[str, int]:
    if plan.busy:
        return {
            f"{attr}_from": plan.threshold,
            f"{attr}_deadline": plan.deadline,
            f"{attr}_inc": plan.increment,
        }
    return {f"{attr}_from": plan.threshold, f"{attr}_new": plan.threshold + plan.increment}
