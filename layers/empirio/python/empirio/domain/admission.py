"""Admission planning: the output cap, the hold and the token reservation of a request, and why a refusal
happened, from the account as stored. Pure: the metering loop feeds it what DynamoDB returned.

A view is either exact (the account item a failed condition or a consistent read returned) or a guess (the
limits and bucket times last seen, never the balance). Only an exact view may refuse: a refusal planned from a
guess sends the metering loop to DynamoDB, which decides."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from empirio.domain.accounts import Limits, Principal
from empirio.domain.catalog import CatalogModel
from empirio.domain.key_policy import KeyPolicy, cap_message, spend_item_key
from empirio.domain.ledger import MIN_OUTPUT_TOKENS
from empirio.domain.limits import admits, retry_after_seconds
from empirio.domain.money import format_usd
from empirio.domain.pricing import Usage, affordable_output_tokens, cost_micros, worst_case_micros
from empirio.domain.usage import zone
from empirio.errors import ApiError, InsufficientCreditsError, RateLimitError


@dataclass(frozen=True)
class AccountView:
    """What admission knows of an account: exact after a failed condition (or a read) returned it, else a guess
    that carries no balance (``available`` None), so a stale balance can neither refuse nor lower a cap."""

    available: int | None
    rpm: int
    tpm: int
    rpm_tat: int | None = None
    tpm_tat: int | None = None
    exact: bool = False

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
            exact=True,
        )

    def guess(self) -> AccountView:
        """What may be kept between requests: limits and bucket times (checked by the write's conditions), not
        the balance, which settles, top-ups and refunds elsewhere change without this process seeing them."""
        return replace(self, available=None, exact=False)


@dataclass(frozen=True)
class KeyCap:
    """A capped key's room in its current period: ``spent`` is what its spend item held (charges and pending
    holds) when last seen; before it is read (``known`` False) it is taken as 0, so only the transaction's
    condition, or a read, can refuse."""

    key_id: str
    policy: KeyPolicy
    tz: ZoneInfo
    now: int
    item_key: str  # the spend item of the current period
    spent: int = 0
    known: bool = False

    @classmethod
    def of(cls, principal: Principal, now: int) -> KeyCap | None:
        """The cap of the calling key in the period of ``now`` (None for an uncapped key or a session)."""
        policy = principal.policy
        if not policy.capped:
            return None
        tz = zone(principal.timezone)
        item_key = spend_item_key(principal.key_id, policy.period, now, tz)
        return cls(key_id=principal.key_id, policy=policy, tz=tz, now=now, item_key=item_key)

    @property
    def limit(self) -> int:
        return self.policy.spend_limit or 0

    @property
    def room(self) -> int:
        """What the period has left: the cap less what is spent or held, counted once."""
        return max(0, self.limit - self.spent)

    def seen(self, spent: int) -> KeyCap:
        return replace(self, spent=spent, known=True)

    def error(self) -> InsufficientCreditsError:
        message = cap_message(self.key_id, self.policy, self.spent, self.now, self.tz)
        return InsufficientCreditsError(message, code="key_spend_limit_reached")


@dataclass(frozen=True)
class Plan:
    cap: int  # max output tokens to send upstream
    hold: int  # micro-USD
    tokens: int  # TPM reservation: prompt + cap


def plan_request(
    model: CatalogModel,
    prompt_tokens: int,
    requested_max: int | None,
    view: AccountView,
    max_cost: int | None = None,
    key: KeyCap | None = None,
    tpm_prompt: int | None = None,
) -> Plan:
    """Cap, hold and reservation. Without ``max_tokens`` the cap is the model's maximum, lowered to what the
    balance and the key's cap afford and to what the TPM bucket can ever hold; below MIN_OUTPUT_TOKENS that is a
    refusal. A request's own ``max_cost`` (micro-USD) lowers the cap in every case, so the hold, and therefore the
    charge, never exceeds it; when not even one output token fits, it is refused. ``prompt_tokens`` is the
    prompt's upper bound (money); ``tpm_prompt`` its typical count, which the TPM reservation takes (settle
    corrects it), the bound when not given."""
    reserve = prompt_tokens if tpm_prompt is None else tpm_prompt
    if requested_max is not None:
        cap = min(requested_max, model.max_output_tokens)
        tokens = reserve + cap
        if tokens > view.tpm:
            raise RateLimitError(
                f"Request too large: {tokens} tokens (prompt ~{reserve} + max_tokens {cap}) exceed the "
                f"limit of {view.tpm} tokens per minute. Lower max_tokens or shorten the prompt.",
                headers={"retry-after": "60"},
                code="request_too_large",
            )
    else:
        cap = min(model.max_output_tokens, max(0, view.tpm - reserve))
        if view.available is not None:
            cap = affordable_output_tokens(model.pricing, prompt_tokens, view.available, cap)
        if cap < MIN_OUTPUT_TOKENS:
            raise _credits_error(model, prompt_tokens, view, None)
        if key is not None:
            cap = affordable_output_tokens(model.pricing, prompt_tokens, key.room, cap)
            if cap < MIN_OUTPUT_TOKENS:
                raise key.error()
    if max_cost is not None:
        cap = affordable_output_tokens(model.pricing, prompt_tokens, max_cost, cap)
        if cap < 1:
            raise InsufficientCreditsError(
                f"The request's maximum cost of ${format_usd(max_cost)} does not cover its prompt on {model.id} "
                f"(~{prompt_tokens} tokens) and one output token. Raise x-max-cost or shorten the prompt.",
                param="x-max-cost",
                code="max_cost_too_low",
            )
    hold = worst_case_micros(model.pricing, prompt_tokens, cap)
    if key is not None and hold > key.room:  # max_tokens was given: it is not lowered to fit, it is refused
        raise key.error()
    return Plan(cap=cap, hold=hold, tokens=reserve + cap)


def refusal(
    model: CatalogModel,
    prompt_tokens: int,
    requested_max: int | None,
    plan: Plan,
    view: AccountView,
    now_us: int,
) -> ApiError | None:
    """The error for a request the stored account (or the key's spend item) refuses, or None when they would admit
    it (the plan's guesses were wrong and it should be replanned)."""
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
    if available == 0:
        return InsufficientCreditsError(
            f"Insufficient credits: the balance is $0.00, and a request on {model.id} is paid from it before it "
            "runs. Add credits (the console's Billing page, or an auto top-up) to continue."
        )
    if available < 0:
        return InsufficientCreditsError(
            f"Your balance is negative (${format_usd(available)}): a refund or dispute took back credit that had "
            "been spent. Add credits to continue.",
            code="negative_balance",
        )
    if not model.pricing.output_per_mtok:  # priced per request, image or second: the worst case is fixed
        worst = cost_micros(
            Usage(input_tokens=prompt_tokens, output_tokens=requested_max or 0), model.pricing
        )
        return InsufficientCreditsError(
            f"Insufficient credits: this request on {model.id} may cost up to ${format_usd(worst)}, which is held "
            f"before it runs, and the balance is ${format_usd(available)}. Add credits or ask for less."
        )
    affords = affordable_output_tokens(model.pricing, prompt_tokens, available, model.max_output_tokens)
    asked = (
        f"max_tokens {requested_max}"
        if requested_max is not None
        else f"at least {MIN_OUTPUT_TOKENS} output tokens"
    )
    advice = "Add credits or lower max_tokens." if requested_max is not None else "Add credits to continue."
    return InsufficientCreditsError(
        f"Insufficient credits: the balance of ${format_usd(available)} affords {affords} output tokens for this "
        f"request on {model.id} (prompt ~{prompt_tokens} tokens), and it asks for {asked}. {advice}",
        param="max_tokens" if requested_max is not None else None,
    )
