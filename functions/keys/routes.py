"""HTTP routes of the keys family: a manage-scoped key administers its own account's keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope
from empirio.domain.usage import zone
from empirio.web.auth import principal_cache, require_scope
from empirio.web.views import KeyCreate, KeyRotate, key_view

router = APIRouter()
manage = Depends(require_scope(Scope.MANAGE))


@router.get("/v1/keys")
def list_keys(include_revoked: bool = False, principal: Principal = manage) -> dict[str, Any]:
    context = get_context()
    now = int(context.clock())
    keys = context.keys.list(principal.account_id, include_revoked=include_revoked, now=now)
    tz = (
        zone(context.accounts.require(principal.account_id).timezone)
        if any(k.policy.capped for k in keys)
        else None
    )
    return {
        "object": "list",
        "data": [key_view(k, spend=context.keys.spend(k, now, tz) if tz else None) for k in keys],
    }


@router.post("/v1/keys", status_code=201)
def create_key(body: KeyCreate, principal: Principal = manage) -> dict[str, Any]:
    context = get_context()
    policy = body.policy(context.catalog, int(context.clock()))
    key, plaintext = context.keys.create(principal.account_id, body.name, body.scope_tuple(), policy)
    return key_view(key, plaintext, spend=0)


@router.post("/v1/keys/{key_id}/rotate")
def rotate_key(key_id: str, body: KeyRotate | None = None, principal: Principal = manage) -> dict[str, Any]:
    """A new secret for the key; the previous one keeps working for the grace period (its spend counts on)."""
    context = get_context()
    grace = (body or KeyRotate()).grace_seconds
    key, plaintext, stops = context.keys.rotate(principal.account_id, key_id, grace, int(context.clock()))
    principal_cache.evict_key(
        key.key_id
    )  # this process's cached principal of the old secret learns its expiry
    return {**key_view(key, plaintext), "previous_expires_at": stops}


@router.delete("/v1/keys/{key_id}")
def revoke_key(key_id: str, principal: Principal = manage) -> dict[str, Any]:
    key = get_context().keys.revoke(principal.account_id, key_id)
    principal_cache.evict_key(key.key_id)
    return {**key_view(key), "deleted": True}
