"""Operator use cases: accounts, top-ups, keys and limits, over the stores."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from empirio.context import Context
from empirio.domain.accounts import Limits
from empirio.domain.money import format_usd, parse_usd
from empirio.errors import InvalidRequestError
from empirio.store.accounts import request_fingerprint
from empirio.web.views import UsdAmount, account_view


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


def create_account(context: Context, body: AccountCreate) -> dict[str, Any]:
    limits = Limits(**(body.limits.changes() if body.limits else {}))
    return account_view(context.accounts.create(body.name, parse_usd(body.credits), limits))


def add_credits(
    context: Context, account_id: str, body: CreditsAdd, idempotency_key: str | None
) -> dict[str, Any]:
    amount = parse_usd(body.amount)
    if amount <= 0:
        raise InvalidRequestError("Invalid value for 'amount': must be greater than 0.", param="amount")
    result = context.accounts.top_up(
        account_id, amount, idempotency_key, request_fingerprint(body.model_dump())
    )
    return {
        **account_view(result.account),
        "credit": {"id": result.entry_id, "amount": format_usd(result.amount), "replayed": result.replayed},
    }
