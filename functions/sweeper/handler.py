"""Lambda entry point of the sweeper (EventBridge schedule, no HTTP)."""

from __future__ import annotations

from typing import Any

from empirio import config
from empirio.context import get_context
from empirio.metering import sweep

config.check()  # a bad setting or catalog fails the init, with one line naming it


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = sweep(get_context().ledger)
    return {"expired": report.expired, "lost_races": report.lost_races}
