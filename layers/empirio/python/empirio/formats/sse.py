"""Server-sent events framing."""

from __future__ import annotations

import json
from typing import Any


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE message; dicts are compact JSON."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


HEARTBEAT = b": keep-alive\n\n"
