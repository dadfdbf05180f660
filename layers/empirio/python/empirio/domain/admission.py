"""Admission planning: the output cap, the hold and the token reservation of a request, and why a refusal
happened, from the account as stored. Pure: the metering loop feeds it what DynamoDB returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from empirio.domain.accounts import Limits
from empirio.domain.catalog import CatalogModel
from empirio.domain.ledger import MIN_OUTPUT_TOKENS
from empirio.domain.limits import admits, retry_after_seconds
from empirio.domain.money import format_usd
from empirio.domain.pricing import affordable_output_tokens, worst_case_micros
from empirio.errors import InsufficientCreditsError, RateLimitError


@dataclass(frozen=True)
class AccountView:
    """What admission knows of an account: exact after a failed condition returned it, else a guess."""

    available: int | None
    rpm: int
    tpm: int
    rpm_tat: int | None = None
    tpm_tat: int | None = None

    @classmethod
    def unknown(cls) -> AccountView:
        return cls(available=None, rpm=Limits.rpm, tpm=Limits.tpm)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> AccountView:
        return cls(
            available=item.get("available", 0),
            rpm=item.get("rpm", Limits.rpm),
            tpm=item.get("tpm", Limits.tpm),
            rpm_tat=item.get("rpm_tat"),
            tpm_tat=item.get("tpm_tat"),
        )


@dataclass(frozen=True)
class Plan:
    cap: int  # max output tokens to send upstream
    hold: int  # micro-USD
    tokens: int  # TPM reservation: prompt + cap


def plan_request(
    model: CatalogModel, prompt_tokens: int, requested_max: int | None, view: AccountView
) -> Plan:
    """Cap, hold and reservation. Without ``max_tokens`` the cap is the model's maximum, lowered to what the
    balance affords and to what the TPM bucket can ever hold; below MIN_OUTPUT_TOKENS that is a refusal."""
    if requested_max is not None:
        cap = min(requested_max, model.max_output_tokens)
        tokens = prompt_tokens + cap
        if tokens > view.tpm:
            raise RateLimitError(
                f"Request too large: {tokens} tokens (prompt ~{prompt_tokens} + max_tokens {cap}) exceed the "
                f"limit of {view.tpm} tokens per minute. Lower max_tokens or shorten the prompt.",
                headers={"retry-after": "60"},
                code="request_too_large",
            )
    else:
        cap = min(model.max_output_tokens, max(0, view.tpm - prompt_tokens))
        if view.available is not None:
            cap = affordable_output_tokens(model.pricing, prompt_tokens, view.available, cap)
        if cap < MIN_OUTPUT_TOKENS:
            raise _credits_error(model, prompt_tokens, view, None)
    return Plan(
        cap=cap, hold=worst_case_micros(model.pricing, prompt_tokens, cap), tokens=prompt_tokens + cap
    )


def refusal(
    model: CatalogModel,
    prompt_tokens: int,
    requested_max: int | None,
    plan: Plan,
    view: AccountView,
    now_us: int,
) -> Exception | None:
    """The error for a request the stored account refuses, or None when the account would admit it (the plan's
    guesses about the buckets were wrong and it should be replanned)."""
    if view.available is not None and view.available < plan.hold and requested_max is not None:
        return _credits_error(model, prompt_tokens, view, requested_max)
    if not admits(view.rpm, 1, now_us, view.rpm_tat):
        wait = retry_after_seconds(view.rpm, 1, now_us, view.rpm_tat)
        return RateLimitError(
            f"Rate limit reached: {view.rpm} requests per minute. Retry in {wait} s.",
            headers={"retry-after": str(wait)},
        )
    if not admits(view.tpm, plan.tokens, now_us, view.tpm_tat):
        wait = retry_after_seconds(view.tpm, plan.tokens, now_us, view.tpm_tat)
        return RateLimitError(
            f"Rate limit reached: {view.tpm} tokens per minute (this request reserves {plan.tokens}: prompt + "
            f"max_tokens). Retry in {wait} s.",
            headers={"retry-after": str(wait)},
        )
    return None


def _credits_error(
    model: CatalogModel, prompt_tokens: int, view: AccountView, requested_max: int | None
) -> InsufficientCreditsError:
    available = view.available or 0
    affords = affordable_output_tokens(model.pricing, prompt_tokens, available, model.max_output_tokens)
    asked = (
        f"max_tokens {requested_max}"
        if requested_max is not None
        else f"at least {MIN_OUTPUT_TOKENS} output tokens"
    )
    return InsufficientCreditsError(
        f"Insufficient credits: the balance of ${format_usd(available)} affords {affords} output tokens for this "
        f"request on {model.id} (prompt ~{prompt_tokens} tokens), and it asks for {asked}. Add credits or "
        "lower max_tokens.",
        param="max_tokens",
    )
