"""HTTP routes of the account family: read the account, change its settings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, field_validator

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope
from empirio.domain.usage import zone
from empirio.web.auth import require_scope
from empirio.web.views import account_view

router = APIRouter()
manage = Depends(require_scope(Scope.MANAGE))


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)  # ValueError names the problem
        return value


@router.get("/v1/account")
def get_account(principal: Principal = manage) -> dict[str, Any]:
    return account_view(get_context().accounts.require(principal.account_id))


@router.patch("/v1/account")
def patch_account(body: AccountPatch, principal: Principal = manage) -> dict[str, Any]:
    accounts = get_context().accounts
    if body.timezone is not None:
        return account_view(accounts.set_timezone(principal.account_id, body.timezone))
    return account_view(accounts.require(principal.account_id))
