"""The Idempotency-Key header, read one way by every route that takes one: at most 255 characters, else 400 naming
the header in the route's error shape. A longer key is refused rather than cut, since two keys that differ only
after the cut would otherwise name the same request."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Header

from empirio.errors import InvalidRequestError

MAX_IDEMPOTENCY_KEY = 255
HEADER = "Idempotency-Key"


def checked_idempotency_key(value: str | None) -> str | None:
    """``value`` as sent (None when absent or empty); over ``MAX_IDEMPOTENCY_KEY`` characters is 400."""
    if not value:
        return None
    if len(value) > MAX_IDEMPOTENCY_KEY:
        raise InvalidRequestError(
            f"The {HEADER} header is {len(value)} characters long; at most {MAX_IDEMPOTENCY_KEY}.",
            param=HEADER,
            code="invalid_idempotency_key",
        )
    return value


def idempotency_key_of(headers: Mapping[str, str]) -> str | None:
    """The request's checked Idempotency-Key, for routes that read their headers themselves."""
    return checked_idempotency_key(headers.get("idempotency-key"))


def idempotency_key_header(idempotency_key: str | None = Header(default=None)) -> str | None:
    """The checked Idempotency-Key as a FastAPI dependency (the header stays in the route's OpenAPI)."""
    return checked_idempotency_key(idempotency_key)
