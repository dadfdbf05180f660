"""Authentication dependencies: customer API keys (with a short in-process cache) and the operator's token."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import Request

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope, hash_key, pick_key
from empirio.domain.sessions import COOKIE_NAME, Session, csrf_matches
from empirio.errors import AuthenticationError, PermissionDeniedError

_INVALID = "Invalid API key. Pass a key as 'Authorization: Bearer sk-empiriolabs-...' or 'x-api-key'."


class PrincipalCache:
    """key hash → Principal for at most ``ttl`` seconds (≤ 30 s: the documented revocation delay), bounded."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key_hash: str, now: float) -> Principal | None:
        with self._lock:
            entry = self._entries.get(key_hash)
            if entry is None or entry[0] <= now:
                return None
            return entry[1]

    def put(self, key_hash: str, principal: Principal, expires: float) -> None:
        with self._lock:
            self._entries[key_hash] = (expires, principal)
            self._entries.move_to_end(key_hash)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def evict_key(self, key_id: str) -> None:
        with self._lock:
            for key_hash in [h for h, (_, p) in self._entries.items() if p.key_id == key_id]:
                del self._entries[key_hash]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


principal_cache = PrincipalCache()


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Console sessions may do what a manage key does, and call models from the playground (writes need the CSRF
# token, so another site cannot spend the account's credits through a signed-in browser).
SESSION_SCOPES = (Scope.MANAGE, Scope.INFERENCE)


def session_of(request: Request) -> Session | None:
    """The live console session named by the request's cookie, or None (read consistently: no cache, so a
    sign-out anywhere ends it everywhere at once)."""
    if hasattr(request.state, "session"):
        cached: Session | None = request.state.session
        return cached
    token = request.cookies.get(COOKIE_NAME)
    session = None
    if token:
        context = get_context()
        session = context.sessions.resolve(token, int(time.time()), context.settings.session_idle_seconds)
    request.state.session = session
    return session


def same_origin(request: Request) -> bool:
    """The request comes from our own pages: its Origin (or, without one, its Referer) names this host."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null":
        return False
    netloc = source.split("://", 1)[-1].split("/", 1)[0]
    return netloc == request.url.netloc


def check_csrf(request: Request, session: Session, supplied: str | None) -> None:
    """A cookie-authenticated write must come from our origin and carry the session's CSRF token."""
    if not same_origin(request) or not csrf_matches(session.csrf_token, supplied):
        raise PermissionDeniedError(
            "Cross-site request refused: send the X-CSRF-Token header from a console page of this origin.",
            code="csrf_failed",
        )


def session_principal(session: Session) -> Principal:
    return Principal(account_id=session.account_id, key_id="", scopes=SESSION_SCOPES, via_session=True)


def authenticate(request: Request) -> Principal:
    """The caller of a customer route: an API key, else a console session (cookie). Malformed (bad checksum),
    unknown and revoked keys get the same 401; a malformed key never reaches the database."""
    headers = request.headers
    key = pick_key([headers.get("authorization"), headers.get("x-api-key")])
    if key is None:
        session = session_of(request) if COOKIE_NAME in request.cookies else None
        if session is None:
            raise AuthenticationError(_INVALID)
        if request.method not in _SAFE_METHODS:
            check_csrf(request, session, headers.get("x-csrf-token"))
        principal = session_principal(session)
        request.state.principal = principal
        return principal
    key_hash = hash_key(key)
    now = time.monotonic()
    cached = principal_cache.get(key_hash, now)
    if cached is None:
        context = get_context()
        cached = context.keys.principal(key_hash)
        if cached is None:
            raise AuthenticationError(_INVALID)
        principal_cache.put(key_hash, cached, now + context.settings.key_cache_seconds)
    if cached.policy.expired(get_context().clock()):
        expired = datetime.fromtimestamp(cached.policy.expires_at or 0, UTC).isoformat()
        raise AuthenticationError(
            f"This API key ({cached.key_id}) expired at {expired}. Create a new key.", code="key_expired"
        )
    request.state.principal = cached
    return cached


def require_scope(scope: Scope) -> Callable[[Request], Principal]:
    """A dependency admitting keys that hold ``scope``."""

    def dependency(request: Request) -> Principal:
        principal = authenticate(request)
        if not principal.can(scope):
            holder = "A console session" if principal.via_session else "This API key"
            raise PermissionDeniedError(
                f"{holder} lacks the '{scope.value}' scope.", code="insufficient_scope"
            )
        return principal

    return dependency


def require_admin(request: Request) -> None:
    """The operator: a bearer admin token locally; in AWS, API Gateway's IAM authorizer already checked SigV4."""
    settings = get_context().settings
    if settings.admin_auth == "iam":
        return
    token = settings.admin_token
    header = request.headers.get("authorization", "")
    supplied = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token or not supplied or not hmac.compare_digest(supplied.encode(), token.encode()):
        raise AuthenticationError("Invalid admin token.", code="invalid_admin_token")
