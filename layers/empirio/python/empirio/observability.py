"""Logs and metrics: JSON logs without secrets, EMF metrics with low-cardinality dimensions.

Every log record passes a redaction filter that masks API keys and the admin token wherever they appear, and
nothing here logs prompts. Metrics go out as CloudWatch embedded-metric-format lines (the format Powertools
writes), one per request, dimensioned by model and provider only.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from empirio.domain.usage_record import UsageRecord

_KEY = re.compile(r"sk-empiriolabs-[0-9A-Za-z]{4,}")
NAMESPACE = "EmpirioLabs"
# The request being served; every log record carries it (Lambda's JSON log format prints extra attributes).
current_request_id: ContextVar[str | None] = ContextVar("empirio_request_id", default=None)


class RedactSecrets(logging.Filter):
    """Masks API keys and the admin token in a record's message and arguments, and tags the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        token = os.environ.get("EMPIRIO_ADMIN_TOKEN")
        message = record.getMessage()
        cleaned = _KEY.sub("sk-empiriolabs-[redacted]", message)
        if token and len(token) >= 8:
            cleaned = cleaned.replace(token, "[redacted]")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction() -> None:
    """Add the filter to the root logger's handlers (idempotent); call at start-up of every entry point."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
    if not any(isinstance(f, RedactSecrets) for f in root.filters):
        root.addFilter(RedactSecrets())


UNITS = frozenset({"Count", "Milliseconds", "Seconds", "Bytes", "None"})


def emf_line(
    service: str, values: dict[str, tuple[float, str]], dimensions: dict[str, str], now_ms: int
) -> str:
    """The CloudWatch embedded-metric-format document (as Powertools writes it: values as lists, the service a
    dimension). Written by hand: Powertools' per-request objects and validation cost more CPU than the request."""
    dims = {**dimensions, "service": service}
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [list(dims)],
                    "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
                }
            ],
        },
        **dims,
        **{name: [float(value)] for name, (value, _) in values.items()},
    }
    return json.dumps(document, separators=(",", ":"))


def emit_metrics(service: str, values: dict[str, tuple[float, str]], dimensions: dict[str, str]) -> None:
    """One EMF line with ``values`` (name → (value, unit)) under ``dimensions`` (keep them few and bounded)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    assert all(unit in UNITS for _, unit in values.values())
    sys.stdout.write(emf_line(service, values, dimensions, int(time.time() * 1000)) + "\n")
    sys.stdout.flush()


# Called with each settled request's usage record (the dev server prints one line per request from it).
REQUEST_LISTENERS: list[Callable[[UsageRecord], None]] = []


def request_metrics(record: UsageRecord) -> None:
    """Requests, tokens, cost, latency and errors of one inference request, by model and provider."""
    for listener in REQUEST_LISTENERS:
        listener(record)
    outcome = record.outcome
    values: dict[str, tuple[float, str]] = {
        "Requests": (1, "Count"),
        "InputTokens": (record.input_tokens, "Count"),
        "OutputTokens": (record.output_tokens, "Count"),
        "CostMicroUSD": (record.cost, "Count"),
        "Latency": (outcome.latency_ms or 0, "Milliseconds"),
        "Errors": (1 if outcome.status == "error" else 0, "Count"),
    }
    if outcome.ttft_ms is not None:
        values["TimeToFirstToken"] = (outcome.ttft_ms, "Milliseconds")
    emit_metrics("inference", values, {"model": str(outcome.model), "provider": str(outcome.provider)})
