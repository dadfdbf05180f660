"""The endpoints that are not chat (embeddings, images, audio) as the gate runs them: one model and its provider's
capability, the worst case held, the call, what was produced settled, the answer rendered, with the same limits,
idempotency and usage records as chat. Each endpoint supplies only its parsing, its worst case, its provider call
and its answer (embeddings.py, images.py, audio.py)."""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Generic, TypeVar, cast

from fastapi import Request
from fastapi.responses import Response

from empirio.context import Context
from empirio.domain.catalog import CatalogModel
from empirio.domain.ledger import settle_amounts
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.domain.usage_record import Outcome, Units, unit_outcome
from empirio.formats import openai_chat
from empirio.providers.base import UpstreamError
from empirio.providers.registry import adapter
from functions.inference.bodies import json_body, max_cost_of
from functions.inference.gate import MAX_STORED_RESPONSE, Admitted, Call, Hold, Parsed, upstream_error
from functions.inference.resolve import resolve_one

P = TypeVar("P")  # the parsed request
A = TypeVar("A")  # a provider adapter's capability (providers.base protocols)
T = TypeVar("T")  # what the provider returns


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Worst:
    """A request's worst case: its prompt's bound, its output tokens and its fixed units (images, seconds)."""

    prompt_tokens: int = 0
    max_tokens: int = 0
    units: Usage = field(default_factory=Usage)


class Metered(ABC, Generic[P, A, T]):
    """A non-chat endpoint: ``path``, served by providers offering ``kind`` (a providers.base protocol)."""

    path: str
    kind: type[A]
    job = ""

    @abstractmethod
    async def parse(self, request: Request) -> Parsed[P]: ...

    @abstractmethod
    def model_of(self, request: P) -> str: ...

    @abstractmethod
    def worst(self, request: P, model: CatalogModel) -> Worst: ...

    @abstractmethod
    async def produce(self, adapter: A, request: P, model: CatalogModel) -> T: ...

    @abstractmethod
    def usage_of(self, request: P, result: T, model: CatalogModel) -> Usage: ...

    @abstractmethod
    def render(self, request: P, result: T, model: CatalogModel, cost: Cost) -> Rendered: ...

    def record(self, request: P, result: T | None) -> Units:
        """What the usage record adds for this endpoint (``result`` None: the call failed)."""
        return Units()

    def resolve(self, context: Context, request: P) -> tuple[CatalogModel, ...]:
        model, _ = resolve_one(context, self.model_of(request), self.path, self.kind)
        return (model,)

    def hold(self, request: P, models: tuple[CatalogModel, ...]) -> Hold:
        worst = self.worst(request, models[0])
        return Hold(
            admitted_as(models[0], worst.units, worst.max_tokens), worst.prompt_tokens, worst.max_tokens
        )

    async def serve(self, admitted: Admitted[P]) -> Response:
        """Produce, settle what was produced, render (a failed call voids the hold)."""
        call, admission, request, model = (
            admitted.call,
            admitted.admission,
            admitted.request,
            admitted.models[0],
        )
        upstream_started = time.monotonic()
        try:
            result = await self.produce(
                cast(A, adapter(model.provider)), request, model
            )  # resolve checked kind
        except UpstreamError as error:
            units = self.record(request, None)
            await admitted.void(describe(call, model, upstream_started, error.message, error.status, units))
            raise upstream_error(error) from None
        usage = self.usage_of(request, result, model)
        charge = settle_amounts(admission.hold.amount, cost_micros(usage, model.pricing)).charge
        cost = Cost(charge, price_parts(usage, model.pricing))
        rendered = self.render(request, result, model, cost)
        stored = None
        if rendered.media_type == "application/json" and len(rendered.body) < MAX_STORED_RESPONSE:
            stored = {"status": 200, "content_type": rendered.media_type, "body": rendered.body.decode()}
        done = describe(call, model, upstream_started, units=self.record(request, result))
        await admitted.settle(model, usage, done, stored)
        headers = {
            "x-request-id": call.request_id,
            "x-empirio-cost": f"{cost.micros / 1_000_000:.6f}",
            **openai_chat.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
            **rendered.headers,
        }
        return Response(rendered.body, media_type=rendered.media_type, headers=headers)


async def parse_json(request: Request, parse: Callable[[dict[str, Any]], P]) -> Parsed[P]:
    """A JSON endpoint's request: its body parsed, its maximum cost."""
    raw, body = await json_body(request)
    max_cost = max_cost_of(request.headers.get("x-max-cost"), body)
    return Parsed(parse(body), raw, max_cost)


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


def json_answer(value: dict[str, Any]) -> Rendered:
    return Rendered(json.dumps(value, separators=(",", ":")).encode(), "application/json")


def describe(
    call: Call,
    model: CatalogModel,
    upstream_started: float,
    error: str | None = None,
    status: int | None = None,
    units: Units | None = None,
) -> Outcome:
    """The usage record's description of the request (the meter adds the usage and the money)."""
    now = time.monotonic()
    return unit_outcome(
        model.id,
        model.provider,
        call.endpoint,
        price_version=call.price_version,
        source="playground" if call.principal.via_session else "api",
        latency_ms=round((now - call.started) * 1000),
        upstream_latency_ms=round((now - upstream_started) * 1000),
        app=call.app,
        error=error,
        error_status=status,
        units=units,
    )
