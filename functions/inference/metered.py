"""One metered call for the endpoints that are not chat (embeddings, images, audio): authenticate, resolve the
model, admit its worst case, produce, settle what was produced, render, with the same limits, idempotency and
usage records as chat. Each endpoint supplies only its parsing, its worst case, its provider call and its answer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context, get_context
from empirio.domain.accounts import Principal
from empirio.domain.attribution import App
from empirio.domain.catalog import CatalogModel, check_not_retired
from empirio.domain.keys import Scope
from empirio.domain.ledger import HOLD_TTL_SECONDS, settle_amounts
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.domain.usage import unit_record
from empirio.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from empirio.formats import openai_chat
from empirio.providers import credentials
from empirio.providers.base import UpstreamError
from empirio.providers.registry import capability, serves
from empirio.services.metering import Admission, IdempotentReplay, MeterRequest
from empirio.web.auth import authenticate
from empirio.web.idempotency import idempotency_key_of
from functions.inference.service import (
    MAX_STORED_RESPONSE,
    check_allowed,
    fingerprint,
    max_cost_of,
    replay,
    upstream_error,
)

T = TypeVar("T")
A = TypeVar("A")  # a provider adapter's capability (providers.base protocols)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitCall:
    endpoint: str
    principal: Principal
    request_id: str
    started: float
    fingerprint: str
    idempotency_key: str | None
    price_version: str
    app: App
    max_cost: int | None

    @classmethod
    def of(cls, request: Request, endpoint: str, raw: bytes, body: dict[str, Any] | None) -> UnitCall:
        started = time.monotonic()
        principal = authenticate(request)
        if not principal.can(Scope.INFERENCE):
            raise PermissionDeniedError(
                "This API key lacks the 'inference' scope.", code="insufficient_scope"
            )
        idempotency_key = idempotency_key_of(request.headers)
        return cls(
            endpoint=endpoint,
            principal=principal,
            request_id=getattr(request.state, "request_id", None) or f"req_{uuid.uuid4().hex}",
            started=started,
            fingerprint=fingerprint(raw) if idempotency_key else "",
            idempotency_key=idempotency_key,
            price_version=get_context().catalog.version,
            app=App.from_headers(request.headers),
            max_cost=max_cost_of(request.headers.get("x-max-cost"), body or {}),
        )


def resolve(context: Context, model_id: str, endpoint: str, kind: type[A]) -> tuple[CatalogModel, A]:
    """The catalog model for ``endpoint`` and its provider's adapter of ``kind`` (404 when unknown, 410 when
    retired, 400 when it serves something else: the rule GET /v1/models lists by)."""
    model = context.catalog.get(model_id)
    if model is None:
        raise NotFoundError(
            f"The model '{model_id}' does not exist. GET /v1/models?endpoint={endpoint} lists the models of "
            "this endpoint.",
            param="model",
            code="model_not_found",
        )
    check_not_retired(model, context.clock())
    adapter = capability(model.provider, kind)
    if not model.serves(endpoint) or not serves(model.provider, endpoint) or adapter is None:
        raise InvalidRequestError(
            f"The model '{model.id}' does not serve {endpoint}; it serves {', '.join(model.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    return model, adapter


def admitted_as(model: CatalogModel, units: Usage, max_tokens: int = 0) -> CatalogModel:
    """The model as admission sees it: the price of the request's fixed worst-case units (images, audio or video
    seconds) folded into its per-request price, and its output cap raised to ``max_tokens`` (several images may
    each take the model's cap), so the hold covers them; settle charges the real card."""
    fixed = price_parts(
        Usage(images=units.images, audio_seconds=units.audio_seconds, video_seconds=units.video_seconds),
        model.pricing,
    )
    extra = sum((fixed.get(unit, 0) for unit in ("images", "audio_seconds", "video_seconds")), Fraction(0))
    if max_tokens > model.max_output_tokens:
        model = model.model_copy(update={"max_output_tokens": max_tokens})
    if not extra:
        return model
    per_request = Decimal(model.pricing.per_request or 0) + Decimal(extra.numerator) / Decimal(
        extra.denominator
    )
    pricing = model.pricing.model_copy(update={"per_request": per_request})
    return model.model_copy(update={"pricing": pricing})


async def admit(
    context: Context,
    call: UnitCall,
    model: CatalogModel,
    units: Usage,
    *,
    prompt_tokens: int = 0,
    max_tokens: int = 0,
    hold_seconds: int = HOLD_TTL_SECONDS,
) -> Admission:
    """The key may use the model and its provider key is there (else nothing is held), then the hold and the limits
    in one transaction. Raises IdempotentReplay when the Idempotency-Key already completed."""
    check_allowed(call.principal, (model,))
    try:
        credentials.api_key(model)
    except UpstreamError as error:
        raise upstream_error(error) from None
    return await run_in_threadpool(
        context.meter.admit,
        MeterRequest(
            principal=call.principal,
            request_id=call.request_id,
            model=admitted_as(model, units, max_tokens),
            prompt_tokens=prompt_tokens,
            max_tokens=max_tokens,
            idempotency_key=call.idempotency_key,
            fingerprint=call.fingerprint,
            max_cost=call.max_cost,
            hold_seconds=hold_seconds,
        ),
    )


async def run_metered(
    context: Context,
    call: UnitCall,
    model: CatalogModel,
    *,
    prompt_tokens: int,
    max_tokens: int,
    units: Usage,
    produce: Callable[[], Awaitable[T]],
    usage_of: Callable[[T], Usage],
    render: Callable[[T, Cost], Rendered],
    record: Callable[[T | None], dict[str, Any]] = lambda _: {},
) -> Response:
    """Admit (``prompt_tokens`` + ``max_tokens`` and the fixed ``units`` at worst), produce, settle, render."""
    meter = context.meter
    try:
        admission = await admit(
            context, call, model, units, prompt_tokens=prompt_tokens, max_tokens=max_tokens
        )
    except IdempotentReplay as replayed:
        return replay(replayed.response, call.request_id)
    upstream_started = time.monotonic()
    try:
        result = await produce()
    except UpstreamError as error:
        failed = {**describe(call, model, upstream_started, error.message, error.status), **record(None)}
        await run_in_threadpool(meter.void, admission, failed)
        raise upstream_error(error) from None
    usage = usage_of(result)
    charge = settle_amounts(admission.hold.amount, cost_micros(usage, model.pricing)).charge
    cost = Cost(charge, price_parts(usage, model.pricing))
    rendered = render(result, cost)
    stored = None
    if rendered.media_type == "application/json" and len(rendered.body) < MAX_STORED_RESPONSE:
        stored = {"status": 200, "content_type": rendered.media_type, "body": rendered.body.decode()}
    done = {**describe(call, model, upstream_started), **record(result)}
    await run_in_threadpool(meter.settle, admission, usage, done, stored, model)
    headers = {
        "x-request-id": call.request_id,
        "x-empirio-cost": f"{cost.micros / 1_000_000:.6f}",
        **openai_chat.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
        **rendered.headers,
    }
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


def json_body(value: dict[str, Any]) -> Rendered:
    return Rendered(json.dumps(value, separators=(",", ":")).encode(), "application/json")


def describe(
    call: UnitCall,
    model: CatalogModel,
    upstream_started: float,
    error: str | None = None,
    status: int | None = None,
) -> dict[str, Any]:
    """The usage record's description of the request (the meter adds the usage and the money)."""
    now = time.monotonic()
    return unit_record(
        model.id,
        model.provider,
        call.endpoint,
        price_version=call.price_version,
        source="playground" if call.principal.via_session else "api",
        latency_ms=round((now - call.started) * 1000),
        upstream_latency_ms=round((now - upstream_started) * 1000),
        app=call.app.as_record(),
        error=error,
        error_status=status,
    )
