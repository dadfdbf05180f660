"""Lambda entry point of the reconciliation job (EventBridge schedule, no HTTP)."""

from __future__ import annotations

from typing import Any

from empirio import startup
from empirio.context import get_context
from empirio.observability import install_redaction
from empirio.services.reconciliation import reconcile_report

startup.check()  # a bad setting or catalog fails the init, with one line naming it


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    install_redaction()
    return reconcile_report(get_context()).as_dict()
