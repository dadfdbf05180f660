"""Usage aggregation: per-request records folded into totals by model, key, day and hour (pure).

A record is a dict as the settle transaction stores it; hours are UTC epoch seconds at the start of the hour.
Rollups and the raw-record path of GET /v1/usage use the same functions, so their sums agree by construction.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

HOUR = 3600
HOUR_SHARDS = 8  # the by_hour index partition is spread over this many keys per hour
GROUPS = ("model", "key", "day", "hour")
TOTAL_FIELDS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "cost",
)


def hour_of(timestamp: int) -> int:
    return timestamp - timestamp % HOUR


def hour_shard(timestamp: int, request_id: str) -> str:
    """The by_hour index key of a record (the hour, then a shard from the request id)."""
    return f"{hour_of(timestamp):012d}#{zlib.crc32(request_id.encode()) % HOUR_SHARDS:02d}"


def hour_shards(hour: int) -> list[str]:
    return [f"{hour:012d}#{shard:02d}" for shard in range(HOUR_SHARDS)]


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0  # micro-USD charged

    def add_record(self, record: dict[str, Any]) -> None:
        self.requests += 1
        for name in TOTAL_FIELDS[1:]:
            setattr(self, name, getattr(self, name) + int(record.get(name) or 0))

    def add(self, other: Totals) -> None:
        for name in TOTAL_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def iso_hour(hour: int) -> str:
    return datetime.fromtimestamp(hour, UTC).strftime("%Y-%m-%dT%H:00:00Z")


def iso_day(hour: int) -> str:
    return datetime.fromtimestamp(hour, UTC).strftime("%Y-%m-%d")


def group_key(model: str, key_id: str, hour: int, group_by: tuple[str, ...]) -> tuple[str, ...]:
    values = {"model": model, "key": key_id, "day": iso_day(hour), "hour": iso_hour(hour)}
    return tuple(values[g] for g in group_by)


def rollup_rows(records: Iterable[dict[str, Any]]) -> dict[tuple[str, int, str, str], Totals]:
    """(account, hour, model, key) → totals: what the rollup stores for the records of closed hours."""
    rows: dict[tuple[str, int, str, str], Totals] = {}
    for record in records:
        key = (
            record["account_id"],
            hour_of(int(record["created_at"])),
            record["model"],
            record.get("key_id", ""),
        )
        rows.setdefault(key, Totals()).add_record(record)
    return rows


def parse_group_by(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    groups = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown group_by {unknown}; allowed: {', '.join(GROUPS)}")
    return groups
