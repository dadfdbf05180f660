"""JobStore: asynchronous generation jobs (videos) per account, newest first. A job leaves ``queued`` or
``in_progress`` once, by a conditional write, so whoever observes its end first records it and the others read
what was recorded. Jobs not yet ended carry ``open_shard`` (a sparse index the sweeper polls)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from botocore.exceptions import ClientError

from empirio.store.dynamo import call, from_item, to_item, values

OPEN = ("queued", "in_progress")
OPEN_SHARD = "open"


def new_job_id(prefix: str, now_ms: int | None = None) -> str:
    """``video_`` + 12 hex digits of milliseconds + 20 random: ids sort by creation time."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{now_ms:012x}{secrets.token_hex(10)}"


class JobStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, job: dict[str, Any]) -> None:
        """A new job (never overwrites one)."""
        item = {**job, **({"open_shard": OPEN_SHARD} if job["status"] in OPEN else {})}
        call(
            self._db.put_item,
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(job_id)",
        )

    def get(self, account_id: str, job_id: str) -> dict[str, Any] | None:
        response = call(
            self._db.get_item,
            TableName=self._table,
            Key=to_item({"account_id": account_id, "job_id": job_id}),
            ConsistentRead=True,
        )
        return from_item(response["Item"]) if "Item" in response else None

    def page(
        self, account_id: str, prefix: str, limit: int, after: str | None, newest_first: bool = True
    ) -> tuple[list[dict[str, Any]], bool]:
        """Jobs whose id starts with ``prefix``, after the id ``after``; and whether more remain."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :a AND begins_with(job_id, :p)",
            "ExpressionAttributeValues": values(a=account_id, p=prefix),
            "ScanIndexForward": not newest_first,
            "Limit": limit + 1,
        }
        if after:
            kwargs["ExclusiveStartKey"] = to_item({"account_id": account_id, "job_id": after})
        items = [from_item(i) for i in call(self._db.query, **kwargs).get("Items", [])]
        return items[:limit], len(items) > limit

    def advance(self, account_id: str, job_id: str, status: str, progress: int) -> None:
        """Progress of a job still open (a job already ended is left as it is)."""
        try:
            call(
                self._db.update_item,
                TableName=self._table,
                Key=to_item({"account_id": account_id, "job_id": job_id}),
                UpdateExpression="SET #status = :status, progress = :progress",
                ConditionExpression="#status IN (:queued, :in_progress) AND progress <= :progress",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values(
                    status=status, progress=progress, queued="queued", in_progress="in_progress"
                ),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def end(self, account_id: str, job_id: str, fields: dict[str, Any]) -> dict[str, Any] | None:
        """Record the job's end (``fields`` hold its final status) once: None when this call recorded it, else
        the job as another observer (or a deletion) left it."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        sets = ", ".join(f"#f{i} = :f{i}" for i in range(len(fields)))
        try:
            call(
                self._db.update_item,
                TableName=self._table,
                Key=to_item({"account_id": account_id, "job_id": job_id}),
                UpdateExpression=f"SET {sets} REMOVE open_shard",
                ConditionExpression="#status IN (:queued, :in_progress)",
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues=values(
                    queued="queued",
                    in_progress="in_progress",
                    **{f"f{i}": value for i, value in enumerate(fields.values())},
                ),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self.get(account_id, job_id) or {}
        return None

    def delete(self, account_id: str, job_id: str) -> None:
        call(
            self._db.delete_item,
            TableName=self._table,
            Key=to_item({"account_id": account_id, "job_id": job_id}),
        )

    def open_jobs(self, limit: int = 200) -> list[dict[str, Any]]:
        """Jobs not yet ended, oldest first (from the sparse index; each is re-read before it is acted on)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "open",
            "KeyConditionExpression": "open_shard = :s",
            "ExpressionAttributeValues": values(s=OPEN_SHARD),
            "Limit": limit,
        }
        return [from_item(i) for i in call(self._db.query, **kwargs).get("Items", [])]
