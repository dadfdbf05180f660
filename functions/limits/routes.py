"""HTTP routes of the limits family: limits, their published meaning, and the account's current use of each."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.limits import POLICY, state
from empirio.web.auth import authenticate
from empirio.web.views import limits_view

router = APIRouter()


@router.get("/v1/limits")
def get_limits(principal: Principal = Depends(authenticate)) -> dict[str, Any]:
    account = get_context().accounts.require(principal.account_id)
    now_us = int(time.time() * 1_000_000)
    requests = state(account.limits.rpm, now_us, account.rpm_tat)
    tokens = state(account.limits.tpm, now_us, account.tpm_tat)
    return {
        "object": "limits",
        **limits_view(account.limits),
        "rate_limit_policy": POLICY,
        "usage": {
            "keys": account.key_count,
            "chats": account.chat_count,
            "requests_remaining": requests.remaining,
            "requests_reset_seconds": round(requests.reset_seconds, 3),
            "tokens_remaining": tokens.remaining,
            "tokens_reset_seconds": round(tokens.reset_seconds, 3),
        },
    }
