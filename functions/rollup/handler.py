"""Lambda entry point of the rollup job."""

from __future__ import annotations

from typing import Any

from empirio import startup
from empirio.context import get_context
from empirio.services.rollup import run_rollup

startup.check()  # a bad setting or catalog fails the init, with one line naming it


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = run_rollup(get_context().usage)
    return {"hours": report.hours, "rows": report.rows, "watermark": report.watermark}
