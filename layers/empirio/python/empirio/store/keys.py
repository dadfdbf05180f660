"""KeyStore: API keys by hash; the per-account key cap is enforced in the same transaction as the write."""

from __future__ import annotations

import builtins
import time
from typing import Any
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from empirio.domain.accounts import ApiKey, Principal
from empirio.domain.key_policy import KeyPolicy, spend_item_key
from empirio.domain.keys import Scope, display_key, generate_key, hash_key, new_key_id
from empirio.errors import ConflictError, KeyLimitExceededError, NotFoundError
from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)
from empirio.store.slots import create_in_slot, free_slot, slot_usage


def _key_from_item(item: dict[str, Any]) -> ApiKey:
    plain = from_item(item)
    return ApiKey(
        key_id=plain["key_id"],
        account_id=plain["account_id"],
        name=plain.get("name", ""),
        scopes=tuple(Scope(s) for s in plain.get("scopes", [])),
        display=plain["display"],
        created_at=plain.get("created_at", 0),
        revoked_at=plain.get("revoked_at"),
        policy=KeyPolicy(
            spend_limit=plain.get("spend_limit"),
            period=plain.get("spend_limit_period") or "lifetime",
            expires_at=_earliest(plain.get("expires_at"), plain.get("grace_expires_at")),
            allowed_models=tuple(plain.get("allowed_models") or ()),
        ),
        superseded_at=plain.get("superseded_at"),
    )


def _earliest(*times: int | None) -> int | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


def _policy_fields(policy: KeyPolicy) -> dict[str, Any]:
    return {
        "spend_limit": policy.spend_limit,
        "spend_limit_period": policy.period if policy.capped else None,
        "expires_at": policy.expires_at,
        "allowed_models": list(policy.allowed_models) or None,
    }


class KeyStore:
    def __init__(self, client: Any, keys_table: str, accounts_table: str) -> None:
        self._db = client
        self._keys = keys_table
        self._accounts = accounts_table

    def create(
        self, account_id: str, name: str, scopes: tuple[Scope, ...], policy: KeyPolicy | None = None
    ) -> tuple[ApiKey, str]:
        """Create a key and return it with its plaintext (the only time the plaintext exists outside the client).

        The account's ``key_count`` is incremented under the condition ``key_count < max_keys`` in the same
        transaction as the key's put: concurrent creations are serialised by DynamoDB, never by this process.
        """
        plaintext = generate_key()
        key = ApiKey(
            key_id=new_key_id(),
            account_id=account_id,
            name=name,
            scopes=scopes,
            display=display_key(plaintext),
            created_at=int(time.time()),
            policy=policy or KeyPolicy(),
        )
        item = {
            "key_hash": hash_key(plaintext),
            "key_id": key.key_id,
            "account_id": account_id,
            "name": name,
            "scopes": [s.value for s in scopes],
            "display": key.display,
            "created_at": key.created_at,
            **_policy_fields(key.policy),
        }
        if not create_in_slot(
            self._db, self._accounts, account_id, "key_count", "max_keys", self._keys, item, "key_hash"
        ):
            raise self._cap_error(account_id)
        return key, plaintext

    def _cap_error(self, account_id: str) -> Exception:
        usage = slot_usage(self._db, self._accounts, account_id, "key_count", "max_keys")
        if usage is None:
            return NotFoundError(f"No account with id {account_id!r}.", code="account_not_found")
        return KeyLimitExceededError(
            f"Key limit reached: the account has {usage[0]} of {usage[1]} keys. "
            "Revoke a key or ask for a higher limit."
        )

    def list(
        self, account_id: str, *, include_revoked: bool = False, now: float | None = None
    ) -> list[ApiKey]:
        """The account's keys; a rotated-out secret is listed until its grace period ends."""
        now = time.time() if now is None else now
        keys: list[ApiKey] = []
        kwargs: dict[str, Any] = {
            "TableName": self._keys,
            "IndexName": "by_account",
            "KeyConditionExpression": "account_id = :a",
            "ExpressionAttributeValues": values(a=account_id),
        }
        while True:
            response = call(self._db.query, **kwargs)
            keys += [_key_from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        keys = [
            k
            for k in keys
            if include_revoked or (k.revoked_at is None and not (k.superseded_at and k.policy.expired(now)))
        ]
        return sorted(keys, key=lambda k: (k.created_at, k.key_id))

    def spend(self, key: ApiKey, now: int, tz: ZoneInfo) -> int:
        """What a capped key has spent or holds in its current period (0 for an uncapped key: not counted)."""
        if not key.policy.capped:
            return 0
        return self.spend_of(spend_item_key(key.key_id, key.policy.period, now, tz))

    def spend_of(self, item_key: str) -> int:
        """What one spend item holds (0 when the period has seen no request)."""
        response = call(
            self._db.get_item, TableName=self._keys, Key=to_item({"key_hash": item_key}), ConsistentRead=True
        )
        return int(from_item(response.get("Item") or {}).get("spend", 0))

    def names(self, account_id: str) -> dict[str, str]:
        """key id → name of every key the account ever had (revoked ones too: old usage still names them)."""
        return {k.key_id: k.name for k in self.list(account_id, include_revoked=True)}

    def _items(self, account_id: str, key_id: str) -> builtins.list[dict[str, Any]]:
        """Every stored secret of a key (two during a rotation's grace period), newest first."""
        response = call(
            self._db.query,
            TableName=self._keys,
            IndexName="by_account",
            KeyConditionExpression="account_id = :a AND key_id = :k",
            ExpressionAttributeValues=values(a=account_id, k=key_id),
        )
        items = [from_item(i) for i in response.get("Items", [])]
        return sorted(items, key=lambda i: "superseded_at" in i)

    def revoke(self, account_id: str, key_id: str) -> ApiKey:
        """Revoke a key of this account (every secret it has) and free its slot; a second revoke is a 404."""
        items = [i for i in self._items(account_id, key_id) if "revoked_at" not in i]
        missing = NotFoundError(f"No active key with id {key_id!r}.", param="key_id", code="key_not_found")
        if not items:
            raise missing
        now = int(time.time())
        revocations = [
            {
                "Update": {
                    "TableName": self._keys,
                    "Key": to_item({"key_hash": item["key_hash"]}),
                    "UpdateExpression": "SET revoked_at = :now",
                    "ConditionExpression": "attribute_exists(key_hash) AND account_id = :a "
                    "AND attribute_not_exists(revoked_at)",
                    "ExpressionAttributeValues": values(now=now, a=account_id),
                }
            }
            for item in items
        ]
        try:
            call(
                self._db.transact_write_items,
                TransactItems=[*revocations, free_slot(self._accounts, account_id, "key_count")],
            )
        except ClientError as error:
            if is_transaction_cancelled(error) and "ConditionalCheckFailed" in cancellation_codes(error):
                raise missing from None
            raise
        return _key_from_item(to_item({**items[0], "revoked_at": now}))

    def rotate(self, account_id: str, key_id: str, grace_seconds: int, now: int) -> tuple[ApiKey, str, int]:
        """A new secret for the same key record (name, scopes, policy and spend carry over); the current secret
        keeps working for ``grace_seconds`` and then expires. Returns the key, its new plaintext and when the
        previous secret stops. One transaction, conditional on the previous secret still being current."""
        current = [
            i for i in self._items(account_id, key_id) if "revoked_at" not in i and "superseded_at" not in i
        ]
        if not current:
            raise NotFoundError(f"No active key with id {key_id!r}.", param="key_id", code="key_not_found")
        previous = current[0]
        stops = now + grace_seconds
        if previous.get("expires_at") is not None:
            stops = min(stops, int(previous["expires_at"]))
        plaintext = generate_key()
        fresh = {
            **{k: v for k, v in previous.items() if k not in ("key_hash", "display", "rotated_at")},
            "key_hash": hash_key(plaintext),
            "display": display_key(plaintext),
            "rotated_at": now,
        }
        try:
            call(
                self._db.transact_write_items,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._keys,
                            "Item": to_item(fresh),
                            "ConditionExpression": "attribute_not_exists(key_hash)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._keys,
                            "Key": to_item({"key_hash": previous["key_hash"]}),
                            "UpdateExpression": "SET superseded_at = :now, grace_expires_at = :stops",
                            "ConditionExpression": "attribute_exists(key_hash) AND attribute_not_exists(revoked_at) "
                            "AND attribute_not_exists(superseded_at)",
                            "ExpressionAttributeValues": values(now=now, stops=stops),
                        }
                    },
                ],
            )
        except ClientError as error:
            if is_transaction_cancelled(error) and "ConditionalCheckFailed" in cancellation_codes(error):
                raise ConflictError(
                    f"Key {key_id} changed while it was being rotated (rotated or revoked); list it and retry.",
                    code="key_changed",
                ) from None
            raise
        return _key_from_item(to_item(fresh)), plaintext, stops

    def principal(self, key_hash: str) -> Principal | None:
        """The caller behind a key hash, or None when the key is unknown or revoked."""
        response = call(self._db.get_item, TableName=self._keys, Key=to_item({"key_hash": key_hash}))
        item = response.get("Item")
        if not item:
            return None
        key = _key_from_item(item)
        if key.revoked_at is not None:
            return None
        timezone = "UTC"
        if key.policy.capped and key.policy.period != "lifetime":  # periods follow the account's time zone
            account = call(
                self._db.get_item,
                TableName=self._accounts,
                Key=to_item({"account_id": key.account_id}),
                ProjectionExpression="#tz",
                ExpressionAttributeNames={"#tz": "timezone"},
            ).get("Item")
            timezone = from_item(account or {}).get("timezone") or "UTC"
        return Principal(
            account_id=key.account_id,
            key_id=key.key_id,
            scopes=key.scopes,
            policy=key.policy,
            timezone=timezone,
        )
