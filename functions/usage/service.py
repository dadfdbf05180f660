"""Usage queries: closed, rolled-up hours come from rollups; everything else from raw records; one sum."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from empirio.domain.money import format_usd
from empirio.domain.usage import HOUR, Totals, group_key, hour_of
from empirio.errors import InvalidRequestError, NotFoundError
from empirio.store.usage import UsageStore

_ID_PREFIXES = ("chatcmpl-", "msg_", "resp_", "req_")


def parse_time(value: str | None, name: str, default: int) -> int:
    """Epoch seconds from an integer or an ISO 8601 timestamp."""
    if value is None or value == "":
        return default
    if value.isdigit():
        return int(value)
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise InvalidRequestError(
            f"Invalid value for '{name}': use epoch seconds or ISO 8601.", param=name
        ) from None


def request_id_of(generation_id: str) -> str:
    """Any id a client saw (``chatcmpl-…``, ``msg_…``, ``resp_…``) back to our request id."""
    for prefix in _ID_PREFIXES:
        if generation_id.startswith(prefix):
            return "req_" + generation_id[len(prefix) :]
    return generation_id


def generation_view(record: dict[str, Any]) -> dict[str, Any]:
    view = {
        k: v
        for k, v in record.items()
        if k not in {"sort_key", "hour_shard", "account_id", "price", "house_loss"}
    }
    view.update(id=record["request_id"], object="generation", cost=format_usd(int(record.get("cost", 0))))
    return view


def generation(store: UsageStore, account_id: str, generation_id: str) -> dict[str, Any]:
    record = store.record(request_id_of(generation_id))
    if record is None or record.get("account_id") != account_id:
        raise NotFoundError(
            f"No generation with id {generation_id!r}.", param="id", code="generation_not_found"
        )
    return generation_view(record)


def usage(
    store: UsageStore,
    account_id: str,
    start: int,
    end: int,
    group_by: tuple[str, ...],
    now: int | None = None,
) -> dict[str, Any]:
    """Totals over [start, end) grouped by ``group_by``. Whole hours before the rollup watermark are read from
    rollups; partial hours and hours not rolled up yet (the open hour) from the raw records."""
    now = int(time.time()) if now is None else now
    if end <= start:
        raise InvalidRequestError("'end' must be after 'start'.", param="end")
    first_whole = hour_of(start + HOUR - 1)
    rolled_end = min(hour_of(end), store.watermark())
    groups: dict[tuple[str, ...], Totals] = {}
    if rolled_end > first_whole:
        for row in store.rollups_for_account(account_id, first_whole, rolled_end):
            key = group_key(row["model"], row.get("key_id", ""), int(row["hour"]), group_by)
            groups.setdefault(key, Totals()).add(
                Totals(**{f: int(row.get(f, 0)) for f in Totals().as_dict()})
            )
    else:
        rolled_end = first_whole
    for record in store.records_for_account(account_id, start, end):
        created = int(record["created_at"])
        if first_whole <= created < rolled_end:
            continue  # counted in the rollups
        key = group_key(record["model"], record.get("key_id", ""), hour_of(created), group_by)
        groups.setdefault(key, Totals()).add_record(record)
    total = Totals()
    data = []
    for key in sorted(groups):
        totals = groups[key]
        total.add(totals)
        data.append({**dict(zip(_labels(group_by), key, strict=True)), **_view(totals)})
    return {
        "object": "usage",
        "start": start,
        "end": end,
        "group_by": list(group_by),
        "data": data,
        "totals": _view(total),
    }


def _labels(group_by: tuple[str, ...]) -> list[str]:
    return ["key_id" if g == "key" else g for g in group_by]


def _view(totals: Totals) -> dict[str, Any]:
    return {**totals.as_dict(), "cost": format_usd(totals.cost)}
