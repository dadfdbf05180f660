"""A new key's secret, shown once after a post/redirect/get: the form's POST creates the key and redirects; the
GET that follows shows the secret, and a reload shows (and creates) nothing.

The secret never travels in a URL and is never stored readable: it is XORed with a one-time pad of random bytes;
the sealed half waits in the session's item (consumed by the first page load, at most REVEAL_SECONDS old) and the
pad in a short-lived HttpOnly cookie scoped to the keys page. Neither half alone says anything about the key.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from empirio.context import get_context
from empirio.domain.sessions import Session
from empirio.web.urls import base_path

REVEAL_SECONDS = 300
COOKIE = "empirio_reveal"
_LOOPBACK = {"localhost", "127.0.0.1", "[::1]", "::1"}


def _path(request: Request) -> str:
    return base_path(request) + "/console/keys"


def stash(request: Request, response: Response, session: Session, shown: dict[str, Any]) -> None:
    """Keep ``shown`` (the key's view with its secret) for the session's next keys page."""
    plain = json.dumps(shown, separators=(",", ":")).encode()
    pad = secrets.token_bytes(len(plain))
    sealed = bytes(a ^ b for a, b in zip(plain, pad, strict=True))
    get_context().sessions.stash_reveal(session.session_hash, sealed.hex(), int(time.time()) + REVEAL_SECONDS)
    response.set_cookie(
        COOKIE,
        pad.hex(),
        max_age=REVEAL_SECONDS,
        path=_path(request),
        httponly=True,
        secure=request.url.hostname not in _LOOPBACK,
        samesite="strict",
    )


def take(request: Request, session: Session) -> dict[str, Any] | None:
    """What ``stash`` kept, once: the sealed half is removed from the session as it is read."""
    pad_hex = request.cookies.get(COOKIE)
    if not pad_hex:
        return None
    sealed_hex = get_context().sessions.take_reveal(session.session_hash, int(time.time()))
    try:
        pad, sealed = bytes.fromhex(pad_hex), bytes.fromhex(sealed_hex or "")
    except ValueError:
        return None
    if not sealed or len(pad) != len(sealed):
        return None
    try:
        shown = json.loads(bytes(a ^ b for a, b in zip(sealed, pad, strict=True)))
    except ValueError:
        return None
    return shown if isinstance(shown, dict) else None


def forget(request: Request, response: Response) -> None:
    """Drop the pad cookie (after the page showed the secret, or when there was nothing to show)."""
    if request.cookies.get(COOKIE):
        response.delete_cookie(COOKIE, path=_path(request), httponly=True, samesite="strict")
