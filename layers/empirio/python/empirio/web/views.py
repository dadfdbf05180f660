"""JSON views of domain values shared by several families (money as USD decimal strings)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from empirio.domain.accounts import Account, ApiKey, Limits
from empirio.domain.catalog import Catalog
from empirio.domain.key_policy import KeyPolicy, Period
from empirio.domain.keys import DEFAULT_SCOPES, Scope, parse_scopes
from empirio.domain.money import format_usd, parse_usd
from empirio.errors import InvalidRequestError


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

    spend_limit: UsdAmount | None = None
    spend_limit_period: Period = "lifetime"
    expires_at: int | None = Field(default=None, gt=0)
    allowed_models: list[str] | None = Field(default=None, max_length=100)

    def scope_tuple(self) -> tuple[Scope, ...]:
        return parse_scopes(self.scopes)

    def policy(self, catalog: Catalog, now: int) -> KeyPolicy:
        """The key's policy; the allowed models resolve to catalog ids (an alias names its model)."""
        if self.expires_at is not None and self.expires_at <= now:
            raise InvalidRequestError("'expires_at' must be in the future.", param="expires_at")
        limit = parse_usd(self.spend_limit) if self.spend_limit is not None else None
        if limit is not None and limit <= 0:
            raise InvalidRequestError("'spend_limit' must be more than 0.", param="spend_limit")
        models = []
        for name in self.allowed_models or ():
            model = catalog.get(name)
            if model is None:
                raise InvalidRequestError(
                    f"Unknown model {name!r} in 'allowed_models'.",
                    param="allowed_models",
                    code="model_not_found",
                )
            models.append(model.id)
        return KeyPolicy(
            spend_limit=limit,
            period=self.spend_limit_period,
            expires_at=self.expires_at,
            allowed_models=tuple(dict.fromkeys(models)),
        )


class KeyRotate(BaseModel):
    """Body of a key rotation: how long the previous secret keeps working (0 to 7 days; default 24 h)."""

    model_config = ConfigDict(extra="forbid")

    grace_seconds: int = Field(default=24 * 3600, ge=0, le=7 * 24 * 3600)


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


def key_view(key: ApiKey, plaintext: str | None = None, spend: int | None = None) -> dict[str, Any]:
    """A key as listed; ``key`` (the plaintext) appears only in the creation response. ``spend`` (spent or held
    in the current period) is counted for capped keys only."""
    policy = key.policy
    view: dict[str, Any] = {
        "id": key.key_id,
        "object": "api_key",
        "name": key.name,
        "scopes": [s.value for s in key.scopes],
        "display": key.display,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "superseded_at": key.superseded_at,
        "spend_limit": format_usd(policy.spend_limit) if policy.spend_limit is not None else None,
        "spend_limit_period": policy.period if policy.capped else None,
        "spend": format_usd(spend or 0) if policy.capped else None,
        "expires_at": policy.expires_at,
        "allowed_models": list(policy.allowed_models) or None,
    }
    if plaintext is not None:
        view["key"] = plaintext
    return view
