"""The inference use case: parse → model → admit → call → settle → render, buffered or streamed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.attribution import App
from empirio.domain.canonical import Audio, Document, Event, Image, Request, TokenUsage, ToolResult
from empirio.domain.canonical import Response as CanonicalResponse
from empirio.domain.catalog import CatalogModel, check_not_retired
from empirio.domain.fallbacks import Attempt, envelope, falls_back, incompatibility
from empirio.domain.ledger import settle_amounts
from empirio.domain.money import InvalidAmountError, parse_usd
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.domain.tokens import estimate_prompt_tokens, typical_prompt_tokens
from empirio.errors import (
    ApiError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamFailedError,
    UpstreamTimeoutError,
)
from empirio.providers import credentials
from empirio.providers.base import Options, UpstreamError
from empirio.providers.registry import provider_for
from empirio.services.metering import Admission, IdempotentReplay, MeterRequest
from functions.inference.pump import Ending, Outcome, Pump, PumpResponse

logger = logging.getLogger("empirio.inference")
T = TypeVar("T")
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
    models: tuple[CatalogModel, ...]  # the model, then its fallbacks in the order they are tried
    principal: Principal
    request_id: str
    started: float
    fingerprint: str  # of the body, only when an Idempotency-Key is sent
    idempotency_key: str | None
    price_version: str = ""
    app: App = field(default_factory=App)
    max_cost: int | None = None  # micro-USD (x-max-cost)

    @property
    def model(self) -> CatalogModel:
        return self.models[0]


def resolve_models(context: Context, request: Request, endpoint: str) -> tuple[CatalogModel, ...]:
    """The request's model and its fallbacks from the catalog. Every one must exist and take the request's
    inputs; a fallback that serves another endpoint or outputs other modalities is refused up front."""
    primary = _resolve(context, request.model, "model")
    if not primary.serves(endpoint):
        raise InvalidRequestError(
            f"The model '{primary.id}' does not serve {endpoint}; it serves {', '.join(primary.endpoints)}.",
            param="model",
            code="unsupported_endpoint",
        )
    models = [primary]
    for name in request.fallbacks:
        model = _resolve(context, name, "models")
        reason = incompatibility(primary, model, endpoint)
        if reason is not None:
            raise InvalidRequestError(
                f"The models of one request must serve the same endpoint and modalities: {reason}.",
                param="models",
                code="incompatible_models",
            )
        if model not in models:  # an alias names a model already listed
            models.append(model)
    for model in models:
        _check_inputs(model, request)
    return tuple(models)


def check_allowed(principal: Principal, models: tuple[CatalogModel, ...]) -> None:
    """A key limited to some models refuses the others (403), before anything is held."""
    for model in models:
        if not principal.policy.allows(model.id):
            allowed = ", ".join(principal.policy.allowed_models)
            raise PermissionDeniedError(
                f"The API key {principal.key_id} may not call '{model.id}'; it may call: {allowed}.",
                param="model",
                code="model_not_allowed",
            )


def max_cost_of(header: str | None, body: dict[str, Any]) -> int | None:
    """The request's maximum cost in micro-USD: the ``x-max-cost`` header, else a ``max_cost`` body field."""
    value = header if header is not None else body.get("max_cost")
    if value is None:
        return None
    param = "x-max-cost" if header is not None else "max_cost"
    try:
        return parse_usd(str(value).strip() if isinstance(value, str | int | float) else value)
    except InvalidAmountError as error:
        raise InvalidRequestError(f"Invalid '{param}': {error}", param=param, code="invalid_value") from None


def _resolve(context: Context, name: str, param: str) -> CatalogModel:
    model = context.catalog.get(name)
    if model is None:
        raise NotFoundError(
            f"The model '{name}' does not exist. GET /v1/models lists the models.",
            param=param,
            code="model_not_found",
        )
    check_not_retired(model, context.clock())
    return model


INPUT_MODALITY = {Image: "image", Document: "document", Audio: "audio"}


def _check_inputs(model: CatalogModel, request: Request) -> None:
    """Every image, document and audio part needs the model's input modality: a 400 names the first part
    that does not fit."""
    for i, message in enumerate(request.messages):
        for j, block in enumerate(message.content):
            inner = block.content if isinstance(block, ToolResult) else (block,)
            for part in inner:
                modality = INPUT_MODALITY.get(type(part))
                if modality and modality not in model.modalities.input:
                    raise InvalidRequestError(
                        f"The model '{model.id}' does not accept {modality} input (messages[{i}].content[{j}] is "
                        f"{'an' if modality[0] in 'aeiou' else 'a'} {modality}); its inputs are "
                        f"{', '.join(model.modalities.input)}.",
                        param=f"messages[{i}].content[{j}]",
                        code="unsupported_modality",
                    )


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
        tries: list[Attempt] = []
        models = []
        for model in call.models:  # a model whose key is missing is unavailable before anything is held
            try:
                credentials.api_key(model)  # cached after the first call
            except UpstreamError as error:
                if len(call.models) == 1:
                    raise upstream_error(error) from None
                tries.append(Attempt(model.id, model.provider, error.status, 0, error.message))
            else:
                models.append(model)
        if not models:
            raise upstream_error(UpstreamError(503, tries[-1].error or "unavailable"))
        prompt_tokens = estimate_prompt_tokens(call.request)
        try:
            admission = await run_in_threadpool(
                meter.admit,
                MeterRequest(
                    principal=call.principal,
                    request_id=call.request_id,
                    model=envelope(models),
                    prompt_tokens=prompt_tokens,
                    tpm_prompt_tokens=typical_prompt_tokens(call.request),
                    max_tokens=call.request.max_tokens,
                    idempotency_key=call.idempotency_key,
                    fingerprint=call.fingerprint,
                    max_cost=call.max_cost,
                ),
            )
        except IdempotentReplay as stored:
            return replay(stored.response, call.request_id)
        headers = {
            "x-request-id": call.request_id,
            **call.fmt.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
        }
        attempts = Attempts(self, call, admission, tuple(models), tries)
        if not call.request.stream:
            return await self._buffered(attempts, headers)
        return await self._streamed(attempts, headers)

    async def _buffered(self, attempts: Attempts, headers: dict[str, str]) -> Response:
        call, admission = attempts.call, attempts.admission

        async def complete(model: CatalogModel) -> CanonicalResponse:
            provider = provider_for(model.provider)
            response: CanonicalResponse = await provider.complete(
                call.request, model, attempts.options(model)
            )
            return response

        upstream_started = time.monotonic()
        model, response = await attempts.first_answer(complete, streamed=False)
        upstream_ms = (time.monotonic() - upstream_started) * 1000
        cost = charge_for(admission, response.usage, model)
        body = call.fmt.render_response(response, request_id=call.request_id, model=model.id, cost=cost)
        # backslashreplace: a lone surrogate an upstream sent (an escape JSON allows) goes back as that escape
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")
        text = raw.decode("utf-8")
        stored = {"status": 200, "content_type": "application/json", "body": text}
        record = attempts.record(model, False, response.finish_reason, upstream_ms, None)
        await self._settle(
            admission, model, response.usage, record, stored if len(text) < MAX_STORED_RESPONSE else None
        )
        return Response(raw, media_type="application/json", headers=headers)

    async def _streamed(self, attempts: Attempts, headers: dict[str, str]) -> Response:
        call, admission = attempts.call, attempts.admission

        async def open_stream(model: CatalogModel) -> tuple[AsyncIterator[Event], Event | None]:
            provider = provider_for(model.provider)
            events: AsyncIterator[Event] = provider.stream(
                call.request, model, attempts.options(model)
            ).__aiter__()
            try:  # the first event, or the failure before the first byte that moves on to the next model
                return events, await events.__anext__()
            except StopAsyncIteration:
                return events, None
            except BaseException:
                await close_quietly(events)
                raise

        upstream_started = time.monotonic()
        model, (events, first) = await attempts.first_answer(open_stream, streamed=True)
        renderer = call.fmt.StreamRenderer(request_id=call.request_id, model=model.id)

        async def finish(outcome: Outcome, rendered: list[bytes]) -> list[bytes]:
            acc = pump.accumulator
            elapsed = (time.monotonic() - upstream_started) * 1000
            if outcome.error and not (outcome.usage.output_tokens > 0 or acc.text or acc.calls):
                failed = attempts.record(
                    model,
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
            cost = charge_for(admission, outcome.usage, model)
            if outcome.complete:
                tail = list(renderer.end(outcome.usage, cost))
            elif outcome.ending == "disconnected":
                tail = []  # no one is listening
            else:
                tail = list(renderer.error(outcome.error or "stream ended"))
            ttft = ((pump.first_token_at or time.monotonic()) - upstream_started) * 1000
            record = attempts.record(
                model,
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
                model,
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

    async def _settle(
        self,
        admission: Admission,
        model: CatalogModel,
        usage: TokenUsage,
        record: dict[str, Any],
        stored: dict[str, Any] | None,
    ) -> None:
        try:
            await run_in_threadpool(
                self.context.meter.settle, admission, _usage(usage), record, stored, model
            )
        except Exception:
            # The answer exists; the hold stays pending and the sweeper releases it (the house bears the cost).
            logger.exception("settle failed for %s", admission.request.request_id)


@dataclass
class Attempts:
    """One admitted request's tries of its models until one answers, and its usage record's description."""

    service: InferenceService
    call: Call
    admission: Admission
    models: tuple[CatalogModel, ...]  # those available, in order
    tries: list[Attempt]

    def options(self, model: CatalogModel) -> Options:
        last = (
            model == self.models[-1]
        )  # before the last model, a failing upstream hands over without retrying
        return Options(max_tokens=min(self.admission.max_tokens, model.max_output_tokens), retry=last)

    async def first_answer(
        self, start: Callable[[CatalogModel], Awaitable[T]], *, streamed: bool
    ) -> tuple[CatalogModel, T]:
        """``start`` on each model in turn until one answers. A failure before the first byte moves on to the
        next model when it is one a fallback can help with; the last failure voids the hold (recording every
        try) and answers the client."""
        for index, model in enumerate(self.models):
            began = time.monotonic()
            try:
                answer = await start(model)
            except UpstreamError as error:
                self._tried(model, began, error.status, error.message)
                if index + 1 < len(self.models) and falls_back(error.status):
                    logger.info("%s failed (%s); falling back", model.id, error.status)
                    continue
                mapped = upstream_error(error)
                await self._void(model, streamed, began, error.message, "upstream_error", mapped.status)
                raise mapped from None
            except BaseException:
                self._tried(model, began, 500, "internal error")
                await self._void(model, streamed, began, "internal error", "internal_error", 500)
                raise
            self._tried(model, began, 200, None)
            return model, answer
        raise AssertionError("no model to try")  # handle() admits only with at least one

    def _tried(self, model: CatalogModel, began: float, status: int, error: str | None) -> None:
        elapsed = round((time.monotonic() - began) * 1000)
        self.tries.append(Attempt(model.id, model.provider, status, elapsed, error))

    async def _void(
        self, model: CatalogModel, streamed: bool, started: float, error: str, ending: Ending, status: int
    ) -> None:
        """A failed upstream call is not charged: the hold is voided and the failure recorded with no cost."""
        elapsed = (time.monotonic() - started) * 1000
        record = self.record(
            model,
            streamed,
            "error",
            elapsed,
            None,
            error=error,
            ending=ending,
            charged=False,
            error_status=status,
        )
        await run_in_threadpool(self.service.context.meter.void, self.admission, record)

    def record(
        self,
        model: CatalogModel,
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
        call = self.call
        billing = BILLING_STATUS[ending] if charged else "not_charged"
        record: dict[str, Any] = {
            "model": model.id,
            "provider": model.provider,
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
            **call.app.as_record(),
        }
        if len(call.models) > 1:
            record["attempts"] = [t.as_record() for t in self.tries]
        return record


async def close_quietly(events: AsyncIterator[Event]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):
            await aclose()


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
