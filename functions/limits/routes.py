"""HTTP routes of the limits family: limits with the account's current use of each."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.web.auth import authenticate
from empirio.web.views import limits_view

router = APIRouter()


@router.get("/v1/limits")
def get_limits(principal: Principal = Depends(authenticate)) -> dict[str, Any]:
    account = get_context().accounts.require(principal.account_id)
    return {
        "object": "limits",
        **limits_view(account.limits),
        "usage": {"keys": account.key_count, "chats": account.chat_count},
    }
