"""The dev server's terminal: one short line per request (time, method and route, status, model, tokens, cost,
latency) instead of uvicorn's access log and the metric JSON (EMPIRIO_DEV_METRICS=1 keeps the JSON)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from empirio.domain.money import format_usd
from empirio.domain.usage_record import UsageRecord
from empirio.observability import REQUEST_LISTENERS

_records: dict[str, UsageRecord] = {}
_lock = threading.Lock()


def _remember(record: UsageRecord) -> None:
    with _lock:
        if len(_records) > 10_000:  # a record whose request never ended (it cannot happen twice)
            _records.clear()
        _records[record.request_id] = record


def line(method: str, path: str, status: int, elapsed_ms: float, record: UsageRecord | None) -> str:
    parts = [time.strftime("%H:%M:%S"), f"{method} {path}", str(status)]
    if record:
        parts.append(record.outcome.model)
        parts.append(f"{record.input_tokens}+{record.output_tokens} tok")
        parts.append(f"${format_usd(int(record.cost))}")
    parts.append(f"{elapsed_ms:.0f} ms")
    return "  ".join(parts)


class RequestLines:
    """ASGI middleware printing ``line`` for every request as its response ends."""

    def __init__(self, app: Any, out: Any = None) -> None:
        self.app = app
        self.out = out or sys.stdout
        REQUEST_LISTENERS.append(_remember)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "request_id": None}

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"x-request-id":
                        state["request_id"] = value.decode()
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            with _lock:
                record = _records.pop(state["request_id"], None) if state["request_id"] else None
            elapsed = (time.perf_counter() - started) * 1000
            print(
                line(scope["method"], scope["path"], state["status"], elapsed, record),
                file=self.out,
                flush=True,
            )
