"""An admitted chat request's tries of its models until one answers (fallbacks before the first byte), and its
usage record's description of the request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from empirio.domain.canonical import Request
from empirio.domain.catalog import CatalogModel
from empirio.domain.fallbacks import Attempt, falls_back
from empirio.domain.usage_record import Outcome
from empirio.providers.base import Options, UpstreamError
from empirio.services.metering import Admission
from functions.inference.gate import Admitted, Call, upstream_error
from functions.inference.pump import Ending

logger = logging.getLogger("empirio.inference")
T = TypeVar("T")
# How a request was billed, in its usage record: in full, or for what was generated before the stream ended early.
BILLING_STATUS = {
    "complete": "complete",
    "disconnected": "partial_disconnect",
    "upstream_error": "partial_upstream_error",
    "internal_error": "partial_internal_error",
}
ERROR_TYPE = {"disconnected": "client_disconnect", "upstream_error": "upstream", "internal_error": "internal"}


@dataclass
class Attempts:
    """One admitted request's tries of its models until one answers, and its usage record's description."""

    call: Call
    admission: Admission
    models: tuple[CatalogModel, ...]  # those available, in order
    tries: list[Attempt]
    fallbacks: bool  # the request named more than one model: its record lists every try
    void: Callable[[Outcome], Awaitable[None]]  # the hold released, the failure recorded

    @classmethod
    def of(cls, admitted: Admitted[Request]) -> Attempts:
        return cls(
            admitted.call,
            admitted.admission,
            admitted.models,
            admitted.tries,
            len(admitted.named) > 1,
            admitted.void,
        )

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
        raise AssertionError("no model to try")  # the gate admits only with at least one

    def _tried(self, model: CatalogModel, began: float, status: int, error: str | None) -> None:
        elapsed = round((time.monotonic() - began) * 1000)
        self.tries.append(Attempt(model.id, model.provider, status, elapsed, error))

    async def _void(
        self, model: CatalogModel, streamed: bool, started: float, error: str, ending: Ending, status: int
    ) -> None:
        """A failed upstream call is not charged: the hold is voided and the failure recorded with no cost."""
        elapsed = (time.monotonic() - started) * 1000
        outcome = self.record(
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
        await self.void(outcome)

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
    ) -> Outcome:
        """The usage record's description of the request (the meter adds the usage and the money)."""
        call = self.call
        return Outcome(
            model=model.id,
            provider=model.provider,
            price_version=call.price_version,
            endpoint=call.endpoint,
            source="playground" if call.principal.via_session else "api",
            streamed=streamed,
            finish_reason=finish,
            status="ok" if not error else ("cancelled" if ending == "disconnected" else "error"),
            error_type=ERROR_TYPE.get(ending) if error else None,
            error_status=error_status,
            error_message=error[:300] if error else None,
            billing_status=BILLING_STATUS[ending] if charged else "not_charged",
            latency_ms=round((time.monotonic() - call.started) * 1000),
            upstream_latency_ms=round(upstream_ms),
            ttft_ms=round(ttft_ms) if ttft_ms is not None else None,
            app=call.app.name or None,
            http_referer=call.app.referer,
            app_title=call.app.title,
            attempts=tuple(t.as_record() for t in self.tries) if self.fallbacks else None,
        )
