"""The rollup job: closed hours' usage records summed per account, model and key, idempotently.

Each run recomputes every closed hour of a trailing window from all of that hour's records and overwrites the
rows, so re-running gives the same result and records that arrived late (a settle finishing across the hour, an
index catching up) are picked up by the next run. The watermark then says which hours the rollups cover.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from empirio.domain.usage import HOUR, Cell, Totals, hour_of, rollup_rows
from empirio.store.usage import UsageStore

WINDOW_HOURS = 24


@dataclass(frozen=True)
class RollupReport:
    hours: int
    rows: int
    watermark: int


def run_rollup(store: UsageStore, now: int | None = None, window_hours: int = WINDOW_HOURS) -> RollupReport:
    now = int(time.time()) if now is None else now
    open_hour = hour_of(now)
    rows = 0
    for hour in range(open_hour - window_hours * HOUR, open_hour, HOUR):
        per_account: dict[str, dict[Cell, Totals]] = {}
        for (account_id, quarter, model, key_id, app), totals in rollup_rows(
            store.records_for_hour(hour)
        ).items():
            per_account.setdefault(account_id, {})[(quarter, model, key_id, app)] = totals
        for account_id, cells in per_account.items():
            store.put_rollup(account_id, hour, cells)
            rows += len(cells)
    store.set_watermark(open_hour)
    return RollupReport(hours=window_hours, rows=rows, watermark=open_hour)
