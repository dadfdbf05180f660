"""The inference use case: parse → model → admit → call → settle → render, buffered or streamed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.canonical import Image, Request, TokenUsage, ToolResult
from empirio.domain.catalog import CatalogModel
from empirio.domain.ledger import settle_amounts
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.domain.tokens import estimate_prompt_tokens
from empirio.errors import (
    ApiError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamFailedError,
    UpstreamTimeoutError,
)
from empirio.metering import Admission, IdempotentReplay, MeterRequest
from empirio.providers import credentials
from empirio.providers.base import Options, UpstreamError
from empirio.providers.registry import provider_for
from functions.inference.pump import Ending, Outcome, Pump, PumpResponse

logger = logging.getLogger("empirio.inference")
MAX_STORED_RESPONSE = 256 * 1024  # DynamoDB items stop at 400 KB
# How a request was billed, in its usage record: in full, or for what was generated before the stream ended early.
BILLING_STATUS = {
    "complete": "complete",
    "disconnected": "partial_disconnect",
    "upstream_error": "partial_upstream_error",
    "internal_error": "partial_internal_error",
}
FINISH_WHEN_CUT: dict[Ending, str] = {
    "disconnected": "cancelled",
    "upstream_error": "error",
    "internal_error": "error",
    "complete": "stop",
}
ERROR_TYPE = {"disconnected": "client_disconnect", "upstream_error": "upstream", "internal_error": "internal"}


@dataclass(frozen=True)
class Call:
    """One inference request as it moves through the steps."""

    endpoint: str
    fmt: ModuleType
    request: Request
    model: CatalogModel
    principal: Principal
    request_id: str
    started: float
    fingerprint: str  # of the body, only when an Idempotency-Key is sent
    idempotency_key: str | None
    price_version: str = ""


def resolve_model(context: Context, request: Request, endpoint: str) -> CatalogModel:
    model = context.catalog.get(request.model)
    if model is None:
        raise NotFoundError(
            f"The model '{request.model}' does not exist. GET /v1/models lists the models.",
            param="model",
            code="model_not_found",
        )
    if not model.serves(endpoint):
        raise InvalidRequestError(
            f"The model '{model.id}' does not serve {endpoint}; it serves {', '.join(model.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    has_image = any(
        isinstance(b, Image) or (isinstance(b, ToolResult) and any(isinstance(x, Image) for x in b.content))
        for m in request.messages
        for b in m.content
    )
    if has_image and "image" not in model.modalities.input:
        raise InvalidRequestError(
            f"The model '{model.id}' does not accept image input.",
            param="messages",
            code="unsupported_modality",
        )
    return model


def upstream_error(error: UpstreamError) -> ApiError:
    if error.status == 429:
        return RateLimitError(
            error.message, headers={"retry-after": error.retry_after or "1"}, code="upstream_rate_limited"
        )
    if error.status == 400:
        return InvalidRequestError(error.message, code="upstream_invalid_request")
    if error.status == 504:
        return UpstreamTimeoutError(error.message)
    if error.status == 503:
        return ServiceUnavailableError(error.message, code="model_unavailable")
    return UpstreamFailedError(error.message)


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def replay(stored: dict[str, Any], request_id: str) -> Response:
    headers = {"x-request-id": request_id, "idempotent-replayed": "true"}
    return Response(
        stored.get("body", ""),
        status_code=int(stored.get("status", 200)),
        media_type=stored.get("content_type", "application/json"),
        headers=headers,
    )


class InferenceService:
    def __init__(self, context: Context) -> None:
        self.context = context

    async def handle(self, call: Call) -> Response:
        meter = self.context.meter
        try:
            credentials.api_key(
                call.model
            )  # unavailable before anything is held (cached after the first call)
        except UpstreamError as error:
            raise upstream_error(error) from None
        prompt_tokens = estimate_prompt_tokens(call.request)
        try:
            admission = await run_in_threadpool(
                meter.admit,
                MeterRequest(
                    principal=call.principal,
                    request_id=call.request_id,
                    model=call.model,
                    prompt_tokens=prompt_tokens,
                    max_tokens=call.request.max_tokens,
                    idempotency_key=call.idempotency_key,
                    fingerprint=call.fingerprint,
                ),
            )
        except IdempotentReplay as stored:
            return replay(stored.response, call.request_id)
        headers = {
            "x-request-id": call.request_id,
            **call.fmt.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
        }
        provider = provider_for(call.model.provider)
        options = Options(max_tokens=admission.max_tokens)
        if not call.request.stream:
            return await self._buffered(call, admission, provider, options, headers)
        return await self._streamed(call, admission, provider, options, headers)

    async def _buffered(
        self, call: Call, admission: Admission, provider: Any, options: Options, headers: dict[str, str]
    ) -> Response:
        upstream_started = time.monotonic()
        async with self._voided_on_failure(call, admission, streamed=False):
            response = await provider.complete(call.request, call.model, options)
        upstream_ms = (time.monotonic() - upstream_started) * 1000
        cost = charge_for(admission, response.usage, call.model)
        body = call.fmt.render_response(response, request_id=call.request_id, model=call.model.id, cost=cost)
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        stored = {"status": 200, "content_type": "application/json", "body": text}
        record = self._record(call, False, response.finish_reason, upstream_ms, None)
        await self._settle(
            admission, response.usage, record, stored if len(text) < MAX_STORED_RESPONSE else None
        )
        return Response(text, media_type="application/json", headers=headers)

    async def _streamed(
        self, call: Call, admission: Admission, provider: Any, options: Options, headers: dict[str, str]
    ) -> Response:
        upstream_started = time.monotonic()
        events = provider.stream(call.request, call.model, options).__aiter__()
        first = None
        async with self._voided_on_failure(call, admission, streamed=True):  # before the first byte: a status
            with contextlib.suppress(StopAsyncIteration):
                first = await events.__anext__()
        renderer = call.fmt.StreamRenderer(request_id=call.request_id, model=call.model.id)

        async def finish(outcome: Outcome, rendered: list[bytes]) -> list[bytes]:
            acc = pump.accumulator
            elapsed = (time.monotonic() - upstream_started) * 1000
            if outcome.error and not (outcome.usage.output_tokens > 0 or acc.text or acc.calls):
                failed = self._record(
                    call,
                    True,
                    FINISH_WHEN_CUT[outcome.ending],
                    elapsed,
                    None,
                    error=outcome.error,
                    ending=outcome.ending,
                    charged=False,
                )
                await run_in_threadpool(self.context.meter.void, admission, failed)
                return [] if outcome.ending == "disconnected" else list(renderer.error(outcome.error))
            cost = charge_for(admission, outcome.usage, call.model)
            if outcome.complete:
                tail = list(renderer.end(outcome.usage, cost))
            elif outcome.ending == "disconnected":
                tail = []  # no one is listening
            else:
                tail = list(renderer.error(outcome.error or "stream ended"))
            ttft = ((pump.first_token_at or time.monotonic()) - upstream_started) * 1000
            record = self._record(
                call,
                True,
                acc.finish or FINISH_WHEN_CUT.get(outcome.ending, "stop"),
                elapsed,
                ttft,
                error=outcome.error,
                ending=outcome.ending,
            )
            text = b"".join([*rendered, *tail]).decode()
            stored = {"status": 200, "content_type": "text/event-stream", "body": text}
            await self._settle(
                admission,
                outcome.usage,
                record,
                stored if outcome.complete and len(text) < MAX_STORED_RESPONSE else None,
            )
            return tail

        pump = Pump(
            renderer=renderer,
            events=events,
            first=[first] if first else [],
            finish=finish,
            prompt_tokens=admission.request.prompt_tokens,
        )
        pump.start()
        return PumpResponse(
            pump,
            call.fmt.HEARTBEAT,
            headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    @contextlib.asynccontextmanager
    async def _voided_on_failure(
        self, call: Call, admission: Admission, streamed: bool
    ) -> AsyncIterator[None]:
        """A failed upstream call is not charged: the hold is voided, the failure recorded with no cost, and
        mapped for the client."""
        started = time.monotonic()
        try:
            yield
        except UpstreamError as error:
            mapped = upstream_error(error)
            await self._void(
                call, admission, streamed, started, error.message, "upstream_error", mapped.status
            )
            raise mapped from None
        except BaseException:
            await self._void(call, admission, streamed, started, "internal error", "internal_error", 500)
            raise

    async def _void(
        self,
        call: Call,
        admission: Admission,
        streamed: bool,
        started: float,
        error: str,
        ending: Ending,
        status: int,
    ) -> None:
        elapsed = (time.monotonic() - started) * 1000
        record = self._record(
            call,
            streamed,
            "error",
            elapsed,
            None,
            error=error,
            ending=ending,
            charged=False,
            error_status=status,
        )
        await run_in_threadpool(self.context.meter.void, admission, record)

    async def _settle(
        self, admission: Admission, usage: TokenUsage, record: dict[str, Any], stored: dict[str, Any] | None
    ) -> None:
        try:
            await run_in_threadpool(self.context.meter.settle, admission, _usage(usage), record, stored)
        except Exception:
            # The answer exists; the hold stays pending and the sweeper releases it (the house bears the cost).
            logger.exception("settle failed for %s", admission.request.request_id)

    @staticmethod
    def _record(
        call: Call,
        streamed: bool,
        finish: str,
        upstream_ms: float,
        ttft_ms: float | None,
        *,
        error: str | None = None,
        ending: Ending = "complete",
        charged: bool = True,
        error_status: int | None = None,
    ) -> dict[str, Any]:
        """The usage record's description of the request (the meter adds the usage and the money)."""
        billing = BILLING_STATUS[ending] if charged else "not_charged"
        return {
            "price_version": call.price_version,
            "endpoint": call.endpoint,
            "source": "playground" if call.principal.via_session else "api",
            "streamed": streamed,
            "finish_reason": finish,
            "status": "ok" if not error else ("cancelled" if ending == "disconnected" else "error"),
            "error_type": ERROR_TYPE.get(ending) if error else None,
            "error_status": error_status,
            "error_message": error[:300] if error else None,
            "billing_status": billing,
            "latency_ms": round((time.monotonic() - call.started) * 1000),
            "upstream_latency_ms": round(upstream_ms),
            "ttft_ms": round(ttft_ms) if ttft_ms is not None else None,
        }


def charge_for(admission: Admission, usage: TokenUsage, model: CatalogModel) -> Cost:
    """What the client is told it paid: the price of its usage, capped at the hold like the charge itself."""
    priced = _usage(usage)
    charge = settle_amounts(admission.hold.amount, cost_micros(priced, model.pricing)).charge
    return Cost(charge, price_parts(priced, model.pricing))


def _usage(usage: TokenUsage) -> Usage:
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        reasoning_tokens=usage.reasoning_tokens,
    )
