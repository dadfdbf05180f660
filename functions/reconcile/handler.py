"""Lambda entry point of the reconciliation job (EventBridge schedule, no HTTP)."""

from __future__ import annotations

from typing import Any

from empirio import startup
from empirio.context import get_context
from empirio.observability import install_redaction

startup.check()  # a bad setting or catalog fails the init, with one line naming it


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    install_redaction()
    return get_context().reconciliation.report().as_dict()
