"""Table specs: the single description of every DynamoDB table, used by CDK, the dev server and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    logical: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    stream: bool = False  # a DynamoDB stream of new images (AWS only: it triggers the balance watch)

    @property
    def env_var(self) -> str:
        """The environment variable through which CDK passes the physical table name."""
        return f"EMPIRIO_TABLE_{self.logical.upper()}"

    def key_attributes(self) -> list[str]:
        names = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            names += [index.partition_key, *([index.sort_key] if index.sort_key else [])]
        return list(dict.fromkeys(names))

    def create_table_kwargs(self, table_name: str) -> dict[str, Any]:
        """boto3 ``create_table`` arguments (on-demand, all key attributes strings)."""

        def schema(pk: str, sk: str | None) -> list[dict[str, str]]:
            return [{"AttributeName": pk, "KeyType": "HASH"}] + (
                [{"AttributeName": sk, "KeyType": "RANGE"}] if sk else []
            )

        kwargs: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": schema(self.partition_key, self.sort_key),
            "AttributeDefinitions": [
                {"AttributeName": a, "AttributeType": "S"} for a in self.key_attributes()
            ],
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": i.name,
                    "KeySchema": schema(i.partition_key, i.sort_key),
                    "Projection": {"ProjectionType": "ALL"},
                }
                for i in self.indexes
            ]
        return kwargs


# One item per account: balance (available, held, topped_up, reversed; micro-USD), limits, resource counters and
# billing settings. Accounts with a low-balance threshold or auto top-up carry watch_shard (a sparse index).
ACCOUNTS = TableSpec(
    "accounts",
    partition_key="account_id",
    indexes=(IndexSpec("watched", "watch_shard", "account_id"),),
    stream=True,
)
# One item per API key, addressed by the SHA-256 of the key; listed per account through by_account.
KEYS = TableSpec("keys", partition_key="key_hash", indexes=(IndexSpec("by_account", "account_id", "key_id"),))
# Money entries per account: topup#, hold# (its resolution recorded on it: status, charge), refund#, dispute#,
# and purchase# (credits bought through Stripe: pending until paid, then refunds and disputes recorded on it).
# Amounts never change; a hold's status moves once from pending. Pending holds carry pending_shard/pending_until,
# a sparse index the sweeper reads.
LEDGER = TableSpec(
    "ledger",
    partition_key="account_id",
    sort_key="entry_id",
    indexes=(IndexSpec("pending", "pending_shard", "pending_until"),),
)
# One usage record per request id (written in the settle transaction); listed per account by time, and per hour
# (sharded) for the rollup job.
USAGE = TableSpec(
    "usage",
    partition_key="request_id",
    indexes=(
        IndexSpec("by_account", "account_id", "sort_key"),
        IndexSpec("by_hour", "hour_shard", "sort_key"),
    ),
)
# Idempotency-Key records of inference requests: kept ≥ 24 h (expires_at is checked; TTL only cleans up).
IDEMPOTENCY = TableSpec("idempotency", partition_key="idem_key", ttl_attribute="ttl")

# Hourly totals per account, model and key (rebuilt idempotently by the rollup job); bucket = hour#model#key.
ROLLUPS = TableSpec("rollups", partition_key="account_id", sort_key="bucket")

# People who sign in to the console: one item per Cognito user (its `sub`), linking it to one account.
USERS = TableSpec("users", partition_key="user_id")
# Console sessions, addressed by the SHA-256 of the opaque cookie value; expiry is checked on every read (TTL only
# cleans up, up to ~48 h late). by_email finds a person's sessions to end them all (a password reset).
SESSIONS = TableSpec(
    "sessions",
    partition_key="session_hash",
    indexes=(IndexSpec("by_email", "email", "session_hash"),),
    ttl_attribute="ttl",
)

# Saved playground chats per account, newest first (chat ids sort by creation time); the per-account cap is the
# account's chat_count, moved in the same transaction as a chat's creation or deletion.
CHATS = TableSpec("chats", partition_key="account_id", sort_key="chat_id")

# Asynchronous generation jobs (videos) per account, newest first (job ids sort by creation time); jobs not yet
# ended carry open_shard, a sparse index the sweeper polls so every job is settled even if no one asks again.
JOBS = TableSpec(
    "jobs",
    partition_key="account_id",
    sort_key="job_id",
    indexes=(IndexSpec("open", "open_shard", "job_id"),),
)

# Written by every metered request (admission and settle): the tables `-c table_capacity=provisioned` bills by
# autoscaled capacity (at least MIN_UNITS, kept TARGET_UTILIZATION % in use) instead of by the request.
PER_REQUEST_TABLES = ("accounts", "ledger", "usage")
TARGET_UTILIZATION = 70
MIN_UNITS = 5

TABLES: tuple[TableSpec, ...] = (
    ACCOUNTS,
    KEYS,
    LEDGER,
    USAGE,
    IDEMPOTENCY,
    ROLLUPS,
    USERS,
    SESSIONS,
    CHATS,
    JOBS,
)
