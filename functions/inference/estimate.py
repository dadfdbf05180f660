"""POST /v1/estimate: what a request would cost and whether it would be admitted now, without calling a model or
holding anything. The same planning as admission (empirio.domain.admission) over the account and the key's spend
as stored this instant; a concurrent request may of course change the answer a moment later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.admission import AccountView, KeyCap, plan_request, refusal
from empirio.domain.canonical import Request as CanonicalRequest
from empirio.domain.catalog import CatalogModel
from empirio.domain.fallbacks import envelope
from empirio.domain.key_policy import period_end
from empirio.domain.money import format_usd
from empirio.domain.pricing import worst_case_micros
from empirio.domain.tokens import estimate_prompt_tokens, typical_prompt_tokens
from empirio.errors import ApiError, InvalidRequestError
from functions.inference.bodies import json_body, max_cost_of
from functions.inference.formats import FORMATS
from functions.inference.gate import Parsed
from functions.inference.resolve import resolve_models

# Our prompt count is an estimate (empirio.domain.tokens): within this share of the upstream's own count for
# ordinary text, so the expected range widens the prompt's cost by it. The worst case is what would be held.
PROMPT_ERROR = 0.25


@dataclass(frozen=True)
class Asked:
    """The request to estimate, in the wire format of the endpoint it would be sent to."""

    endpoint: str
    request: CanonicalRequest


class Estimate:
    """The gate's steps up to resolve (the key's scope and policy included), then the plan without holding."""

    path = "/v1/estimate"

    async def parse(self, request: Request) -> Parsed[Asked]:
        _, body = await json_body(request)
        inner = body.get("body", body) if "endpoint" in body else body
        if not isinstance(inner, dict):
            raise InvalidRequestError("'body' must be a JSON object.", param="body")
        endpoint = detect_endpoint(inner, body.get("endpoint"))
        max_cost = max_cost_of(request.headers.get("x-max-cost"), inner)
        return Parsed(Asked(endpoint, FORMATS[endpoint].parse_request(inner)), max_cost=max_cost)

    def resolve(self, context: Context, request: Asked) -> tuple[CatalogModel, ...]:
        return resolve_models(context, request.request, request.endpoint)

    async def answer(
        self,
        context: Context,
        principal: Principal,
        parsed: Parsed[Asked],
        models: tuple[CatalogModel, ...],
    ) -> Response:
        asked = parsed.request
        answer = await run_in_threadpool(
            estimate, context, principal, asked.endpoint, asked.request, models, parsed.max_cost
        )
        return JSONResponse(answer)


def detect_endpoint(body: dict[str, Any], named: Any) -> str:
    if named is not None:
        if named not in FORMATS:
            raise InvalidRequestError(
                f"Invalid 'endpoint': one of {', '.join(FORMATS)}.", param="endpoint", code="invalid_value"
            )
        return str(named)
    return "/v1/responses" if "input" in body else "/v1/chat/completions"


def estimate(
    context: Context,
    principal: Principal,
    endpoint: str,
    canonical: CanonicalRequest,
    models: tuple[CatalogModel, ...],
    max_cost: int | None,
) -> dict[str, Any]:
    """The answer: the models, the prompt's bound, the balance and the key's room, the cap and the costs."""
    model = envelope(models)
    prompt = estimate_prompt_tokens(canonical)
    account = context.accounts.require(principal.account_id)
    view = AccountView(
        available=account.available,
        rpm=account.limits.rpm,
        tpm=account.limits.tpm,
        rpm_tat=account.rpm_tat,
        tpm_tat=account.tpm_tat,
        exact=True,
    )
    now = context.clock()
    key = KeyCap.of(principal, int(now))
    if key is not None:
        key = key.seen(context.keys.spend_of(key.item_key))
    answer: dict[str, Any] = {
        "object": "estimate",
        "endpoint": endpoint,
        "model": models[0].id,
        "models": [m.id for m in models],
        "prompt_tokens": prompt,
        "balance": format_usd(account.available),
        "key_spend_remaining": format_usd(key.room) if key else None,
        "key_spend_resets_at": period_end(key.policy.period, key.now, key.tz) if key else None,
    }
    asked = min(canonical.max_tokens or model.max_output_tokens, model.max_output_tokens)
    try:
        # as admission plans it: the bound for money, the typical count for the TPM reservation
        tpm_prompt = typical_prompt_tokens(canonical)
        plan = plan_request(model, prompt, canonical.max_tokens, view, max_cost, key, tpm_prompt)
        error = refusal(model, prompt, canonical.max_tokens, plan, view, int(now * 1_000_000))
    except ApiError as refused:
        plan, error = None, refused
    cap = plan.cap if plan else asked
    worst = plan.hold if plan else worst_case_micros(model.pricing, prompt, asked)
    low = worst_case_micros(model.pricing, int(prompt * (1 - PROMPT_ERROR)), 0)
    answer.update(
        max_output_tokens=cap,
        worst_case_cost=format_usd(worst),
        expected_cost={"low": format_usd(low), "high": format_usd(worst)},
        admissible=error is None,
        reason=error.message if error is not None else None,
        code=error.code if error is not None else None,
    )
    return answer
