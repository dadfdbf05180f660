"""Lambda entry point of the balance watch: the accounts table's stream (records of watched accounts) and an
EventBridge schedule (every watched account), one function for both."""

from __future__ import annotations

from typing import Any

from empirio import startup
from empirio.context import get_context
from empirio.observability import install_redaction

startup.check()


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    install_redaction()
    watch = get_context().balance_watch
    if "Records" in event:
        return {"accounts": len(watch.watch_stream(event))}
    return watch.watch_all()
