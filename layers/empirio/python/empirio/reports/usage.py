"""Usage queries: closed, rolled-up hours come from rollups; everything else from raw records; one sum."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from empirio.domain.money import format_usd
from empirio.domain.usage import (
    HOUR,
    UTC_ZONE,
    Totals,
    day_starts,
    group_key,
    hour_of,
    split_range,
)
from empirio.errors import InvalidRequestError
from empirio.store.usage import UsageStore


def parse_time(value: str | None, name: str, default: int, tz: ZoneInfo = UTC_ZONE) -> int:
    """Epoch seconds from an integer or an ISO 8601 timestamp; one without an offset is a time in ``tz``."""
    if value is None or value == "":
        return default
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).timestamp())
    except ValueError:
        raise InvalidRequestError(
            f"Invalid value for '{name}': use epoch seconds or ISO 8601.", param=name
        ) from None


def grouped(
    store: UsageStore,
    account_id: str,
    start: int,
    end: int,
    group_by: tuple[str, ...],
    tz: ZoneInfo = UTC_ZONE,
    latency: bool = False,
    watermark: int | None = None,
) -> dict[tuple[str, ...], Totals]:
    """Totals over [start, end) per group, days in ``tz``. Whole rolled-up quarter hours (local midnights fall
    between them) are read from rollups; everything else (the range's partial quarters, hours not rolled up yet)
    from the raw records, so each record counts exactly once and the groups sum to the total. ``latency`` also
    merges the latency histograms; ``watermark`` spares a read when the caller already has it."""
    if end <= start:
        raise InvalidRequestError("'end' must be after 'start'.", param="end")
    cuts = day_starts(start, end, tz) if "day" in group_by else []
    rolled = store.watermark() if watermark is None else watermark
    quarters, raw_ranges = split_range(start, end, cuts, rolled)
    groups: dict[tuple[str, ...], Totals] = {}
    if quarters:
        wanted = set(quarters)
        rows = store.rollups_for_account(
            account_id, hour_of(quarters[0]), hour_of(quarters[-1]) + HOUR, latency
        )
        labels: dict[int, tuple[str, str]] = {}
        for row in rows:
            if row["quarter"] not in wanted:
                continue
            key = group_key(
                row["model"], row["key_id"], row["hour"], group_by, tz, row["quarter"], labels, row["app"]
            )
            groups.setdefault(key, Totals()).add(row["totals"])
    for a, b in raw_ranges:
        for record in store.records_for_account(account_id, a, b):
            created = int(record.created_at)
            key = group_key(
                record.outcome.model,
                record.key_id or "",
                hour_of(created),
                group_by,
                tz,
                created,
                app=record.outcome.app or "",
            )
            groups.setdefault(key, Totals()).add_record(record)
    return groups


def usage(
    store: UsageStore,
    account_id: str,
    start: int,
    end: int,
    group_by: tuple[str, ...],
    tz: ZoneInfo = UTC_ZONE,
    latency: bool = False,
) -> dict[str, Any]:
    """GET /v1/usage's body: the groups sorted, and their total; with ``latency``, percentiles per group."""
    groups = grouped(store, account_id, start, end, group_by, tz, latency)
    total = Totals()
    data = []
    for key in sorted(groups):
        totals = groups[key]
        total.add(totals)
        data.append({**dict(zip(_labels(group_by), key, strict=True)), **_view(totals, latency)})
    return {
        "object": "usage",
        "start": start,
        "end": end,
        "group_by": list(group_by),
        "timezone": tz.key,
        "data": data,
        "totals": _view(total, latency),
    }


def _labels(group_by: tuple[str, ...]) -> list[str]:
    return ["key_id" if g == "key" else g for g in group_by]


def _view(totals: Totals, latency: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        **{k: v for k, v in totals.as_dict().items() if k not in ("audio_ms", "video_ms")},
        "audio_seconds": totals.audio_ms / 1000,
        "video_seconds": totals.video_ms / 1000,
        "cost": format_usd(totals.cost),
        "last_at": totals.last_at or None,
    }
    if latency:  # interpolated inside fixed histogram buckets (empirio.domain.histogram)
        for name, hist in (("latency_ms", totals.latency), ("ttft_ms", totals.ttft)):
            view[name] = {"p50": hist.percentile(50), "p95": hist.percentile(95)}
    return view
