"""UsageStore: per-request usage records (written by the settle transaction), hourly rollups, the watermark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from empirio.domain.usage import Cell, Totals, hour_shards, pack_cells, unpack_cells
from empirio.domain.usage_record import UsageRecord
from empirio.store.dynamo import call, from_item, to_item, values

WATERMARK_KEY = {"account_id": "__rollup__", "bucket": "watermark"}


class UsageStore:
    def __init__(self, client: Any, usage_table: str, rollups_table: str) -> None:
        self._db = client
        self._usage = usage_table
        self._rollups = rollups_table

    def _query_all(self, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = call(self._db.query, **kwargs)
            items += [from_item(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def record(self, request_id: str) -> UsageRecord | None:
        response = call(
            self._db.get_item,
            TableName=self._usage,
            Key=to_item({"request_id": request_id}),
            ConsistentRead=True,
        )
        return UsageRecord.from_item(from_item(response["Item"])) if "Item" in response else None

    def records_for_account(self, account_id: str, start: int, end: int) -> list[UsageRecord]:
        """Records created in [start, end) (epoch seconds)."""
        items = self._query_all(
            TableName=self._usage,
            IndexName="by_account",
            KeyConditionExpression="account_id = :a AND sort_key BETWEEN :lo AND :hi",
            ExpressionAttributeValues=values(a=account_id, lo=f"{start:012d}#", hi=f"{end - 1:012d}#~"),
        )
        return [UsageRecord.from_item(item) for item in items]

    def iter_records(
        self,
        account_id: str,
        start: int,
        end: int,
        filters: dict[str, str] | None = None,
        *,
        newest_first: bool = True,
        before: str | None = None,
        page_size: int = 500,
    ) -> Iterator[UsageRecord]:
        """An account's records created in [start, end), in a stable order (time, then request id), matching
        ``filters`` (attribute = value), read page by page as the caller consumes them. ``before`` is a sort key
        to continue after (exclusive) in the iteration order."""
        lo, hi = f"{start:012d}#", f"{end - 1:012d}#~"
        if before is not None:
            lo, hi = (lo, before) if newest_first else (before, hi)
        names: dict[str, str] = {}
        vals: dict[str, Any] = {"a": account_id, "lo": lo, "hi": hi}
        clauses = []
        for i, (name, value) in enumerate(sorted((filters or {}).items())):
            names[f"#f{i}"] = name
            vals[f"f{i}"] = value
            clauses.append(f"#f{i} = :f{i}")
        kwargs: dict[str, Any] = {
            "TableName": self._usage,
            "IndexName": "by_account",
            "KeyConditionExpression": "account_id = :a AND sort_key BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": values(**vals),
            "ScanIndexForward": not newest_first,
            "Limit": page_size,
        }
        if clauses:
            kwargs["FilterExpression"] = " AND ".join(clauses)
            kwargs["ExpressionAttributeNames"] = names
        while True:
            response = call(self._db.query, **kwargs)
            for item in response.get("Items", []):
                record = UsageRecord.from_item(from_item(item))
                if record.sort_key != before:  # BETWEEN is inclusive: the cursor's own record was served
                    yield record
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def records_for_hour(self, hour: int) -> list[UsageRecord]:
        """Every account's records of one hour, from the sharded by_hour index."""
        records: list[UsageRecord] = []
        for shard in hour_shards(hour):
            records += map(
                UsageRecord.from_item,
                self._query_all(
                    TableName=self._usage,
                    IndexName="by_hour",
                    KeyConditionExpression="hour_shard = :s",
                    ExpressionAttributeValues=values(s=shard),
                ),
            )
        return records

    def put_rollup(self, account_id: str, hour: int, cells: dict[Cell, Totals]) -> None:
        """Overwrite one account-hour's rollup (every quarter, model, key and app in one item): recomputed from all
        the hour's records, so re-running changes nothing."""
        item = {
            "account_id": account_id,
            "bucket": f"{hour:012d}",
            "hour": hour,
            "cells": pack_cells(hour, cells),
        }
        call(self._db.put_item, TableName=self._rollups, Item=to_item(item))

    def rollups_for_account(
        self, account_id: str, start_hour: int, end_hour: int, latency: bool = True
    ) -> list[dict[str, Any]]:
        """Rollup cells of hours in [start_hour, end_hour): one per quarter hour, model and key, with ``totals``."""
        rows = []
        for item in self._query_all(
            TableName=self._rollups,
            KeyConditionExpression="account_id = :a AND bucket BETWEEN :lo AND :hi",
            ExpressionAttributeValues=values(
                a=account_id, lo=f"{start_hour:012d}", hi=f"{end_hour - 1:012d}~"
            ),
            ConsistentRead=True,
        ):
            hour = int(item["hour"])
            for (quarter, model, key_id, app), totals in unpack_cells(
                hour, item.get("cells") or "{}", latency
            ).items():
                rows.append(
                    {
                        "hour": hour,
                        "quarter": quarter,
                        "model": model,
                        "key_id": key_id,
                        "app": app,
                        **totals.as_dict(),
                        "totals": totals,
                    }
                )
        return rows

    def watermark(self) -> int:
        """Hours before this one are rolled up (0: none yet)."""
        response = call(
            self._db.get_item, TableName=self._rollups, Key=to_item(WATERMARK_KEY), ConsistentRead=True
        )
        return int(from_item(response["Item"]).get("hour", 0)) if "Item" in response else 0

    def set_watermark(self, hour: int) -> None:
        """Move the watermark forward only (a slow, older run can never move it back)."""
        try:
            call(
                self._db.put_item,
                TableName=self._rollups,
                Item=to_item({**WATERMARK_KEY, "hour": hour}),
                ConditionExpression="attribute_not_exists(#h) OR #h <= :h",
                ExpressionAttributeNames={"#h": "hour"},
                ExpressionAttributeValues=values(h=hour),
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return
