"""HTTP routes of the credits family."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.keys import Scope
from empirio.domain.money import format_usd
from empirio.web.auth import require_scope

router = APIRouter()


@router.get("/v1/credits")
def get_credits(principal: Principal = Depends(require_scope(Scope.MANAGE))) -> dict[str, Any]:
    account = get_context().accounts.require(principal.account_id)
    return {
        "object": "credits",
        "balance": format_usd(account.available),
        "held": format_usd(account.held),
        "topped_up": format_usd(account.topped_up),
        "currency": "USD",
    }
