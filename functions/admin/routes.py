"""HTTP routes of the operator API (thin: auth, parse, one service or store call)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from empirio.context import get_context
from empirio.domain.money import format_usd
from empirio.services.metering import sweep
from empirio.services.rollup import run_rollup
from empirio.web.auth import principal_cache, require_admin
from empirio.web.idempotency import idempotency_key_header
from empirio.web.views import KeyCreate, UsdAmount, account_view, key_view, limits_view

router = APIRouter(prefix="/admin", dependencies=[Depends(require_admin)])


class LimitsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rpm: int | None = Field(default=None, ge=1, le=1_000_000)
    tpm: int | None = Field(default=None, ge=1, le=10_000_000_000)
    max_keys: int | None = Field(default=None, ge=1, le=10_000)
    max_chats: int | None = Field(default=None, ge=0, le=100_000)

    def changes(self) -> dict[str, int]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    credits: UsdAmount = "0.00"
    limits: LimitsPatch | None = None


class CreditsAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: UsdAmount
    note: str | None = Field(default=None, max_length=500)


@router.get("/accounts")
def list_accounts(limit: int = 100, after: str | None = None) -> dict[str, Any]:
    accounts, cursor = get_context().accounts.list(limit=max(1, min(limit, 1000)), start=after)
    return {"object": "list", "data": [account_view(a) for a in accounts], "next": cursor}


@router.post("/accounts", status_code=201)
def create_account(body: AccountCreate) -> dict[str, Any]:
    limits = body.limits.changes() if body.limits else {}
    return account_view(get_context().admin.create_account(body.name, body.credits, limits))


@router.get("/accounts/{account_id}")
def get_account(account_id: str) -> dict[str, Any]:
    return account_view(get_context().accounts.require(account_id))


@router.post("/accounts/{account_id}/credits")
def add_credits(
    account_id: str,
    body: CreditsAdd,
    idempotency_key: str | None = Depends(idempotency_key_header),
) -> dict[str, Any]:
    result = get_context().admin.add_credits(account_id, body.amount, idempotency_key, body.model_dump())
    return {
        **account_view(result.account),
        "credit": {"id": result.entry_id, "amount": format_usd(result.amount), "replayed": result.replayed},
    }


@router.get("/accounts/{account_id}/keys")
def list_keys(account_id: str, include_revoked: bool = False) -> dict[str, Any]:
    context = get_context()
    context.accounts.require(account_id)
    keys = context.keys.list(account_id, include_revoked=include_revoked)
    return {"object": "list", "data": [key_view(k) for k in keys]}


@router.post("/accounts/{account_id}/keys", status_code=201)
def create_key(account_id: str, body: KeyCreate) -> dict[str, Any]:
    context = get_context()
    policy = body.policy(context.catalog, int(context.clock()))
    key, plaintext = context.keys.create(account_id, body.name, body.scope_tuple(), policy)
    return key_view(key, plaintext, spend=0)


@router.delete("/accounts/{account_id}/keys/{key_id}")
def revoke_key(account_id: str, key_id: str) -> dict[str, Any]:
    key = get_context().keys.revoke(account_id, key_id)
    principal_cache.evict_key(key.key_id)
    return {**key_view(key), "deleted": True}


@router.patch("/accounts/{account_id}/limits")
def set_limits(account_id: str, body: LimitsPatch) -> dict[str, Any]:
    account = get_context().accounts.set_limits(account_id, body.changes())
    return {"account_id": account.account_id, **limits_view(account.limits)}


@router.post("/sweep")
def run_sweeper() -> dict[str, Any]:
    """Release expired holds now (the scheduled sweeper does this every few minutes)."""
    report = sweep(get_context().ledger)
    return {"expired": report.expired, "lost_races": report.lost_races}


@router.post("/rollup")
def run_rollup_now() -> dict[str, Any]:
    """Roll up closed hours now (the scheduled job does this every 15 minutes)."""
    report = run_rollup(get_context().usage)
    return {"hours": report.hours, "rows": report.rows, "watermark": report.watermark}


@router.post("/reconcile")
def run_reconcile_now() -> dict[str, Any]:
    """Check every account's books now (the scheduled job does this every hour); no differences: books agree."""
    return {"differences": [d.__dict__ for d in get_context().reconciliation.differences()]}
