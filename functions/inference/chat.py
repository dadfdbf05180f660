"""The chat endpoints (/v1/chat/completions, /v1/responses, /v1/messages) as the gate runs them: the client's wire
format parsed to the canonical request, the model and its fallbacks, the prompt's bound held, then the answer
buffered or streamed (pump.py) and settled for what was generated."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from empirio.context import Context
from empirio.domain.canonical import Event, TokenUsage
from empirio.domain.canonical import Request as CanonicalRequest
from empirio.domain.canonical import Response as CanonicalResponse
from empirio.domain.catalog import CatalogModel
from empirio.domain.fallbacks import envelope
from empirio.domain.ledger import settle_amounts
from empirio.domain.pricing import Cost, Usage, cost_micros, price_parts
from empirio.domain.tokens import estimate_prompt_tokens, typical_prompt_tokens
from empirio.domain.usage_record import Outcome as Described
from empirio.providers.registry import provider_for
from empirio.services.metering import Admission
from functions.inference.attempts import Attempts
from functions.inference.bodies import json_body, max_cost_of
from functions.inference.gate import MAX_STORED_RESPONSE, Admitted, Hold, Parsed
from functions.inference.pump import Ending, Outcome, Pump, PumpResponse
from functions.inference.resolve import resolve_models

logger = logging.getLogger("empirio.inference")
FINISH_WHEN_CUT: dict[Ending, str] = {
    "disconnected": "cancelled",
    "upstream_error": "error",
    "internal_error": "error",
    "complete": "stop",
}


@dataclass(frozen=True)
class Chat:
    """One chat endpoint, in its client wire format (``formats/<format>.py``)."""

    fmt: ModuleType
    job = ""

    @property
    def path(self) -> str:
        return str(self.fmt.ENDPOINT)

    async def parse(self, request: Request) -> Parsed[CanonicalRequest]:
        raw, body = await json_body(request)
        canonical = self.fmt.parse_request(body)
        return Parsed(canonical, raw, max_cost_of(request.headers.get("x-max-cost"), body))

    def resolve(self, context: Context, request: CanonicalRequest) -> tuple[CatalogModel, ...]:
        return resolve_models(context, request, self.path)

    def hold(self, request: CanonicalRequest, models: tuple[CatalogModel, ...]) -> Hold:
        """Every model's worst case at once (envelope), the prompt at its bound and TPM at its typical count."""
        return Hold(
            envelope(models),
            estimate_prompt_tokens(request),
            request.max_tokens,
            tpm_prompt_tokens=typical_prompt_tokens(request),
        )

    async def serve(self, admitted: Admitted[CanonicalRequest]) -> Response:
        admission = admitted.admission
        headers = {
            "x-request-id": admitted.call.request_id,
            **self.fmt.rate_limit_headers(admission.rpm, admission.tpm, time.time()),
        }
        if not admitted.request.stream:
            return await self._buffered(admitted, Attempts.of(admitted), headers)
        return await self._streamed(admitted, Attempts.of(admitted), headers)

    async def _buffered(
        self, admitted: Admitted[CanonicalRequest], attempts: Attempts, headers: dict[str, str]
    ) -> Response:
        call, admission, request = admitted.call, admitted.admission, admitted.request

        async def complete(model: CatalogModel) -> CanonicalResponse:
            provider = provider_for(model.provider)
            response: CanonicalResponse = await provider.complete(request, model, attempts.options(model))
            return response

        upstream_started = time.monotonic()
        model, response = await attempts.first_answer(complete, streamed=False)
        upstream_ms = (time.monotonic() - upstream_started) * 1000
        cost = charge_for(admission, response.usage, model)
        body = self.fmt.render_response(response, request_id=call.request_id, model=model.id, cost=cost)
        # backslashreplace: a lone surrogate an upstream sent (an escape JSON allows) goes back as that escape
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "backslashreplace")
        text = raw.decode("utf-8")
        stored = {"status": 200, "content_type": "application/json", "body": text}
        record = attempts.record(model, False, response.finish_reason, upstream_ms, None)
        await _settle(
            admitted, model, response.usage, record, stored if len(text) < MAX_STORED_RESPONSE else None
        )
        return Response(raw, media_type="application/json", headers=headers)

    async def _streamed(
        self, admitted: Admitted[CanonicalRequest], attempts: Attempts, headers: dict[str, str]
    ) -> Response:
        call, admission, request = admitted.call, admitted.admission, admitted.request

        async def open_stream(model: CatalogModel) -> tuple[AsyncIterator[Event], Event | None]:
            provider = provider_for(model.provider)
            events: AsyncIterator[Event] = provider.stream(
                request, model, attempts.options(model)
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
        renderer = self.fmt.StreamRenderer(request_id=call.request_id, model=model.id)

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
                await admitted.void(failed)
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
            await _settle(
                admitted,
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
            self.fmt.HEARTBEAT,
            headers={**headers, "cache-control": "no-cache", "x-accel-buffering": "no"},
        )


async def _settle(
    admitted: Admitted[CanonicalRequest],
    model: CatalogModel,
    usage: TokenUsage,
    described: Described,
    stored: dict[str, Any] | None,
) -> None:
    try:
        await admitted.settle(model, _usage(usage), described, stored)
    except Exception:
        # The answer exists; the hold stays pending and the sweeper releases it (the house bears the cost).
        logger.exception("settle failed for %s", admitted.call.request_id)


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
