"""The billing ledger as a customer reads it: top-ups (purchases, grants), charges per day (from the usage
reports, which equal the ledger's charges) and refunds and disputes, over a time range, oldest first."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from empirio.context import Context
from empirio.domain.money import format_usd
from empirio.reports import usage as usage_service
from empirio.reports.generations import csv_cell

KINDS = {"topup#": "top-up", "refund#": "refund", "dispute#": "dispute"}
CSV_FIELDS = ("date", "kind", "amount", "description", "purchase_id")


def ledger_rows(
    context: Context, account_id: str, start: int, end: int, tz: ZoneInfo
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for prefix, kind in KINDS.items():
        for entry in context.purchases.entries(account_id, prefix):
            at = int(entry.get("created_at", 0))
            if not start <= at < end:
                continue
            amount = int(entry["amount"])
            purchase = entry.get("purchase_id")
            description = {
                "top-up": "Credits purchased" if purchase else "Credits granted",
                "refund": "Refund of a purchase",
                "dispute": "Disputed payment",
            }[kind]
            rows.append(
                {
                    "at": at,
                    "date": datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M"),
                    "kind": kind,
                    "amount": format_usd(amount if kind == "top-up" else -amount),
                    "description": description,
                    "purchase_id": purchase,
                }
            )
    by_day = usage_service.grouped(context.usage, account_id, start, end, ("day",), tz)
    for (day,), totals in by_day.items():
        if not totals.cost and not totals.requests:
            continue
        at = int(datetime.fromisoformat(day).replace(tzinfo=tz).timestamp())
        rows.append(
            {
                "at": at,
                "date": day,
                "kind": "charges",
                "amount": format_usd(-totals.cost),
                "description": f"{totals.requests} requests",
                "purchase_id": None,
            }
        )
    rows.sort(key=lambda r: (r["at"], r["kind"]))
    return rows


def ledger_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(row.get(k)) for k in CSV_FIELDS})
    return out.getvalue()
