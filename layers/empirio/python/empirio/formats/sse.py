"""Server-sent events framing."""

from __future__ import annotations

import json
from typing import Any


def sse(data: dict[str, Any] | str, event: str | None = None) -> bytes:
    """One SSE message; dicts are compact JSON. A lone surrogate (an upstream may send one as a JSON escape, e.g.
    an emoji pair split across its chunks) goes out as that escape, never as an encoding error."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode("utf-8", "backslashreplace")


HEARTBEAT = b": keep-alive\n\n"
