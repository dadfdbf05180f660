"""The figures console pages are built from (local days, spend totals, chart series, latency, key activity), read
from the same usage service as GET /v1/usage; each page's view model is in pages.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from empirio.context import Context
from empirio.domain.accounts import Account
from empirio.domain.money import format_usd
from empirio.domain.usage import Totals, zone
from empirio.reports import usage as usage_service

DAY = 86400


def account_zone(account: Account) -> ZoneInfo:
    try:
        return zone(account.timezone)
    except ValueError:
        return zone("UTC")


def local_midnight(timestamp: int, tz: ZoneInfo, days_back: int = 0) -> int:
    local = datetime.fromtimestamp(timestamp, tz).date() - timedelta(days=days_back)
    return int(datetime(local.year, local.month, local.day, tzinfo=tz).timestamp())


@dataclass
class Figures:
    cost: int = 0
    requests: int = 0
    tokens: int = 0

    def add(self, totals: Totals) -> None:
        self.cost += totals.cost
        self.requests += totals.requests
        self.tokens += totals.input_tokens + totals.output_tokens

    def view(self) -> dict[str, Any]:
        return {"cost": format_usd(self.cost), "requests": self.requests, "tokens": self.tokens}


def series(
    groups: dict[tuple[str, ...], Totals], slots: list[str], label_of: dict[str, str], field: str
) -> list[dict[str, Any]]:
    """One chart series per split value: ``field`` per slot (USD as numbers for drawing only)."""
    index = {slot: i for i, slot in enumerate(slots)}
    series: dict[str, list[float]] = {}
    for (slot, split), totals in groups.items():
        if slot not in index:
            continue
        values = series.setdefault(split, [0.0] * len(slots))
        amount = totals.cost / 1_000_000 if field == "cost" else float(totals.requests)
        values[index[slot]] += amount
    return [
        {"label": label_of.get(name, name) or "(none)", "values": values}
        for name, values in sorted(series.items(), key=lambda item: -sum(item[1]))
    ]


USED_DAYS = 30


@dataclass(frozen=True)
class Used:
    models: set[str]
    apps: set[str]


def used(context: Context, account: Account, now: int, days: int = USED_DAYS) -> Used:
    """The models and apps the account sent requests to in the last ``days`` days (the logs page's filter
    choices), from the same usage service as GET /v1/usage?group_by=model,app."""
    groups = usage_service.grouped(
        context.usage, account.account_id, now - days * DAY, now + 1, ("model", "app"), account_zone(account)
    )
    return Used(models={m for m, _ in groups if m}, apps={a for _, a in groups if a})


def latency_by_model(context: Context, account_id: str, now: int, watermark: int) -> list[dict[str, Any]]:
    """p50/p95 latency and p50 time to first token per model over the last 24 hours, from the same rollups and
    records as usage (histograms: values are interpolated inside fixed buckets)."""
    groups = usage_service.grouped(
        context.usage, account_id, now - DAY, now + 1, ("model",), latency=True, watermark=watermark
    )
    return [
        {
            "model": model,
            "requests": totals.requests,
            "p50": totals.latency.percentile(50),
            "p95": totals.latency.percentile(95),
            "ttft_p50": totals.ttft.percentile(50),
        }
        for (model,), totals in sorted(groups.items())
        if totals.latency.total
    ]


def key_activity(context: Context, account: Account, now: int) -> dict[str, dict[str, Any]]:
    """Per key: spend and requests this month (local calendar month) and when it was last used (30 days)."""
    tz = account_zone(account)
    local = datetime.fromtimestamp(now, tz)
    month_start = int(datetime(local.year, local.month, 1, tzinfo=tz).timestamp())
    start = min(month_start, local_midnight(now, tz, 30))
    month_day = local.strftime("%Y-%m-01")
    groups = usage_service.grouped(context.usage, account.account_id, start, now + 1, ("day", "key"), tz)
    activity: dict[str, dict[str, Any]] = {}
    for (day, key_id), totals in groups.items():
        entry = activity.setdefault(key_id, {"month": Totals(), "last_at": 0})
        if day >= month_day:
            entry["month"].add(totals)
        entry["last_at"] = max(entry["last_at"], totals.last_at)
    return activity


@cache
def common_zones() -> list[str]:
    """The time zones the settings form suggests (any IANA name is accepted)."""
    return [
        *sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))),
        "UTC",
    ]
