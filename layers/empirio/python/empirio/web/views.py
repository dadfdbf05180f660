"""JSON views of domain values shared by several families (money as USD decimal strings)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from empirio.domain.accounts import Account, ApiKey, Limits
from empirio.domain.keys import DEFAULT_SCOPES, Scope, parse_scopes
from empirio.domain.money import format_usd, parse_usd


def _usd(text: str) -> str:
    parse_usd(text)  # raises ValueError with a message naming the expected format
    return text


UsdAmount = Annotated[str, AfterValidator(_usd)]


def _scopes(values: list[str]) -> list[str]:
    return [s.value for s in parse_scopes(values)]


class KeyCreate(BaseModel):
    """Body of a key creation (customer or admin)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)
    scopes: Annotated[list[str], AfterValidator(_scopes)] = Field(
        default_factory=lambda: [s.value for s in DEFAULT_SCOPES]
    )

    def scope_tuple(self) -> tuple[Scope, ...]:
        return parse_scopes(self.scopes)


def limits_view(limits: Limits) -> dict[str, int]:
    return {f: getattr(limits, f) for f in Limits.FIELDS}


def account_view(account: Account) -> dict[str, Any]:
    return {
        "id": account.account_id,
        "object": "account",
        "name": account.name,
        "balance": format_usd(account.available),
        "held": format_usd(account.held),
        "topped_up": format_usd(account.topped_up),
        "currency": "USD",
        "limits": limits_view(account.limits),
        "usage": {"keys": account.key_count, "chats": account.chat_count},
        "timezone": account.timezone,
        "created_at": account.created_at,
    }


def key_view(key: ApiKey, plaintext: str | None = None) -> dict[str, Any]:
    """A key as listed; ``key`` (the plaintext) appears only in the creation response."""
    view: dict[str, Any] = {
        "id": key.key_id,
        "object": "api_key",
        "name": key.name,
        "scopes": [s.value for s in key.scopes],
        "display": key.display,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }
    if plaintext is not None:
        view["key"] = plaintext
    return view
