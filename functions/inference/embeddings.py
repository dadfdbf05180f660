"""``POST /v1/embeddings``: parse → model → admit (the worst case of the inputs) → embed → settle → render, through
the same meter, limits, idempotency and usage records as chat."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.attribution import App
from empirio.domain.catalog import CatalogModel
from empirio.domain.ledger import settle_amounts
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.errors import InvalidRequestError, NotFoundError
from empirio.formats import openai_chat
from empirio.formats.openai_embeddings import EmbeddingRequest, render_response, worst_case_tokens
from empirio.metering import IdempotentReplay, MeterRequest
from empirio.providers import credentials
from empirio.providers.base import UpstreamError
from empirio.providers.registry import embedder_for
from functions.inference.service import MAX_STORED_RESPONSE, check_allowed, replay, upstream_error

ENDPOINT = "/v1/embeddings"


@dataclass(frozen=True)
class EmbeddingCall:
    request: EmbeddingRequest
    principal: Principal
    request_id: str
    started: float
    fingerprint: str
    idempotency_key: str | None
    price_version: str
    app: App
    max_cost: int | None


def resolve(context: Context, request: EmbeddingRequest) -> CatalogModel:
    model = context.catalog.get(request.model)
    if model is None:
        raise NotFoundError(
            f"The model '{request.model}' does not exist. GET /v1/models?endpoint={ENDPOINT} lists the embedding "
            "models.",
            param="model",
            code="model_not_found",
        )
    if not model.serves(ENDPOINT) or embedder_for(model.provider) is None:
        raise InvalidRequestError(
            f"The model '{model.id}' does not serve {ENDPOINT}; it serves {', '.join(model.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    return model


async def handle(context: Context, call: EmbeddingCall) -> Response:
    model = resolve(context, call.request)
    check_allowed(call.principal, (model,))
    try:
        credentials.api_key(model)  # a missing provider key: unavailable before anything is held
    except UpstreamError as error:
        raise upstream_error(error) from None
    meter = context.meter
    try:
        admission = await run_in_threadpool(
            meter.admit,
            MeterRequest(
                principal=call.principal,
                request_id=call.request_id,
                model=model,
                prompt_tokens=worst_case_tokens(call.request),
                max_tokens=0,
                idempotency_key=call.idempotency_key,
                fingerprint=call.fingerprint,
                max_cost=call.max_cost,
            ),
        )
    except IdempotentReplay as replayed:
        return replay(replayed.response, call.request_id)
    embedder = embedder_for(model.provider)
    assert embedder is not None  # resolve() checked
    upstream_started = time.monotonic()
    try:
        result = await embedder.embed(call.request, model)
    except UpstreamError as error:
        record = _record(call, model, upstream_started, error=error.message, status=error.status)
        await run_in_threadpool(meter.void, admission, record)
        raise upstream_error(error) from None
    usage = Usage(input_tokens=result.prompt_tokens)
    charge = settle_amounts(admission.hold.amount, cost_micros(usage, model.pricing)).charge
    cost = Cost(charge, price_parts(usage, model.pricing))
    body = render_response(
        call.request, result.vectors, model=model.id, prompt_tokens=result.prompt_tokens, cost=cost
    )
    text = json.dumps(body, separators=(",", ":"))
    stored = {"status": 200, "content_type": "application/json", "body": text}
    record = _record(call, model, upstream_started)
    await run_in_threadpool(
        meter.settle, admission, usage, record, stored if len(text) < MAX_STORED_RESPONSE else None
    )
    headers = {
        "x-request-id": call.request_id,
        **openai_chat.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
    }
    return Response(text, media_type="application/json", headers=headers)


def _record(
    call: EmbeddingCall,
    model: CatalogModel,
    upstream_started: float,
    *,
    error: str | None = None,
    status: int | None = None,
) -> dict[str, object]:
    """The usage record's description of the request (the meter adds the usage and the money)."""
    now = time.monotonic()
    return {
        "model": model.id,
        "provider": model.provider,
        "price_version": call.price_version,
        "endpoint": ENDPOINT,
        "source": "playground" if call.principal.via_session else "api",
        "streamed": False,
        "finish_reason": "stop" if error is None else None,
        "status": "ok" if error is None else "error",
        "error_type": "upstream" if error else None,
        "error_status": status,
        "error_message": error[:300] if error else None,
        "billing_status": "complete" if error is None else "not_charged",
        "latency_ms": round((now - call.started) * 1000),
        "upstream_latency_ms": round((now - upstream_started) * 1000),
        "inputs": len(call.request.inputs),
        **call.app.as_record(),
    }
