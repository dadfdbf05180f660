"""Console sessions: opaque random tokens, stored only as hashes, with an idle and an absolute expiry (pure)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

COOKIE_NAME = "empirio_session"
# A session's idle expiry is pushed forward at most once per this many seconds (one write, not one per page).
TOUCH_EVERY = 300


@dataclass(frozen=True)
class Session:
    session_hash: str
    user_id: str
    account_id: str
    email: str
    csrf_token: str  # sent back by the console on every cookie-authenticated write
    created_at: int
    idle_until: int
    expires_at: int  # absolute: never extended

    def alive(self, now: int) -> bool:
        return now < self.idle_until and now < self.expires_at

    def touched(self, now: int, idle: int) -> int | None:
        """The new idle expiry when activity at ``now`` should extend it (by ≥ TOUCH_EVERY), else None."""
        extended = min(now + idle, self.expires_at)
        return extended if extended - self.idle_until >= TOUCH_EVERY else None


def new_token() -> str:
    """256 random bits, URL-safe: the cookie value."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_matches(expected: str, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(expected.encode(), (supplied or "").encode())


def new_session(
    user_id: str, account_id: str, email: str, now: int, idle: int, maximum: int
) -> tuple[str, Session]:
    """A fresh session and its token (the only time the token exists outside the browser)."""
    token = new_token()
    session = Session(
        session_hash=hash_token(token),
        user_id=user_id,
        account_id=account_id,
        email=email,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        idle_until=min(now + idle, now + maximum),
        expires_at=now + maximum,
    )
    return token, session
