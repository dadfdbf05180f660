"""Lambda entry point of the sweeper (EventBridge schedule, no HTTP): first every open video job is observed (so
each ends and is settled even if its owner never asks again), then expired holds are released."""

from __future__ import annotations

import asyncio
from typing import Any

from empirio import startup
from empirio.context import get_context
from empirio.services.metering import sweep

startup.check()  # a bad setting or catalog fails the init, with one line naming it


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    ctx = get_context()
    ended = asyncio.run(ctx.video_jobs.poll_open())
    report = sweep(ctx.ledger)
    return {"videos_ended": ended, "expired": report.expired, "lost_races": report.lost_races}
