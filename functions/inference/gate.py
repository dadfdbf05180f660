"""The one path of every inference endpoint: authenticate → scope → parse → resolve models and the key's policy →
admit → call → settle → render. An endpoint (chat.py, metered.py and its modalities, videos.py) supplies its
parse, its models, its worst case and its call/settle/render; estimate and count_tokens stop after resolve and
hold nothing (``plan``). Errors are rendered in each endpoint's wire shape by web.errors, a replay here."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context, get_context
from empirio.domain.accounts import Principal
from empirio.domain.attribution import App
from empirio.domain.catalog import CatalogModel
from empirio.domain.fallbacks import Attempt
from empirio.domain.keys import Scope
from empirio.domain.ledger import HOLD_TTL_SECONDS
from empirio.domain.pricing import Usage
from empirio.domain.usage_record import Outcome
from empirio.errors import (
    ApiError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    UpstreamFailedError,
    UpstreamTimeoutError,
)
from empirio.providers import credentials
from empirio.providers.base import UpstreamError
from empirio.services.metering import Admission, IdempotentReplay, MeterRequest
from empirio.store.jobs import new_job_id
from empirio.web.auth import require_scope
from empirio.web.idempotency import idempotency_key_of
from functions.inference.bodies import fingerprint
from functions.inference.resolve import check_allowed

P = TypeVar("P")  # an endpoint's parsed request
MAX_STORED_RESPONSE = 256 * 1024  # DynamoDB items stop at 400 KB
# Called by the gate rather than declared as a route's Depends: a sync dependency would run in the thread pool,
# one hop more per request, and the principal is cached in-process.
authorize = require_scope(Scope.INFERENCE)


@dataclass(frozen=True)
class Parsed(Generic[P]):
    """What an endpoint read from the request."""

    request: P
    identity: bytes = b""  # what an Idempotency-Key recognizes a retry by (the body, or a multipart digest)
    max_cost: int | None = None  # micro-USD (x-max-cost or max_cost)


@dataclass(frozen=True)
class Call:
    """Who sent an admitted request and how it is told apart: the same for every endpoint."""

    endpoint: str
    principal: Principal
    request_id: str
    started: float
    fingerprint: str  # of the body, only when an Idempotency-Key is sent
    idempotency_key: str | None
    price_version: str
    app: App
    max_cost: int | None


@dataclass(frozen=True)
class Hold:
    """What admission holds for a request: its worst case, priced by ``model`` (admission's view of it)."""

    model: CatalogModel
    prompt_tokens: int
    max_tokens: int | None
    tpm_prompt_tokens: int | None = None  # the typical prompt count TPM reserves (None: prompt_tokens)
    hold_seconds: int = HOLD_TTL_SECONDS


@dataclass(frozen=True)
class Admitted(Generic[P]):
    """An admitted request, as its endpoint calls, settles (or voids) and renders it."""

    context: Context
    call: Call
    request: P
    named: tuple[CatalogModel, ...]  # the model, then its fallbacks
    models: tuple[CatalogModel, ...]  # those whose provider key is there, in order
    tries: list[Attempt]  # the others, as tries that failed before the call
    admission: Admission

    async def void(self, outcome: Outcome) -> None:
        """A failed call is not charged: the hold is released and the failure recorded with no cost."""
        await run_in_threadpool(self.context.meter.void, self.admission, outcome)

    async def settle(
        self, model: CatalogModel, usage: Usage, outcome: Outcome, stored: dict[str, Any] | None
    ) -> None:
        """The charge (at most the hold), the rest released, the usage record and the answer to replay."""
        await run_in_threadpool(self.context.meter.settle, self.admission, usage, outcome, stored, model)


class Front(Protocol[P]):
    """The steps every inference endpoint has: its path, what it reads and the models it names."""

    @property
    def path(self) -> str: ...

    async def parse(self, request: Request) -> Parsed[P]: ...

    def resolve(self, context: Context, request: P) -> tuple[CatalogModel, ...]: ...


class Endpoint(Front[P], Protocol[P]):
    """An endpoint that calls a model: chat, embeddings, images, audio, video creation."""

    @property
    def job(self) -> str: ...  # "" or the kind of job whose id is the request's id ("video")

    def hold(self, request: P, models: tuple[CatalogModel, ...]) -> Hold: ...

    async def serve(self, admitted: Admitted[P]) -> Response: ...  # call → settle (or void) → render


class Planned(Front[P], Protocol[P]):
    """An endpoint that answers from the plan alone (estimate, count_tokens): nothing held, no model called."""

    async def answer(
        self, context: Context, principal: Principal, parsed: Parsed[P], models: tuple[CatalogModel, ...]
    ) -> Response: ...


async def run(request: Request, endpoint: Endpoint[P]) -> Response:
    """An inference request from its first byte to its answer (the steps in order, each once)."""
    started = time.monotonic()
    principal = authorize(request)  # authenticate and scope: a request without a key is 401 whatever its body
    idempotency_key = idempotency_key_of(request.headers)  # a refused header before anything in the body
    parsed, context, named = await _resolved(request, endpoint, principal)
    call = _call(request, endpoint, principal, parsed, context, started, idempotency_key)
    models, tries = available(named)
    hold = endpoint.hold(parsed.request, models)
    try:
        admission = await run_in_threadpool(
            context.meter.admit,
            MeterRequest(
                principal=principal,
                request_id=call.request_id,
                model=hold.model,
                prompt_tokens=hold.prompt_tokens,
                tpm_prompt_tokens=hold.tpm_prompt_tokens,
                max_tokens=hold.max_tokens,
                idempotency_key=call.idempotency_key,
                fingerprint=call.fingerprint,
                max_cost=call.max_cost,
                hold_seconds=hold.hold_seconds,
            ),
        )
    except IdempotentReplay as stored:
        return replay(stored.response, call.request_id)
    return await endpoint.serve(Admitted(context, call, parsed.request, named, models, tries, admission))


async def plan(request: Request, endpoint: Planned[P]) -> Response:
    """An estimate or a count: the gate's steps up to resolve, then the endpoint's answer."""
    principal = authorize(request)
    parsed, context, models = await _resolved(request, endpoint, principal)
    return await endpoint.answer(context, principal, parsed, models)


async def _resolved(
    request: Request, endpoint: Front[P], principal: Principal
) -> tuple[Parsed[P], Context, tuple[CatalogModel, ...]]:
    """Parse, then the models the request names and the key's policy on them."""
    parsed = await endpoint.parse(request)
    context = get_context()
    models = endpoint.resolve(context, parsed.request)
    check_allowed(principal, models)
    return parsed, context, models


def _call(
    request: Request,
    endpoint: Endpoint[P],
    principal: Principal,
    parsed: Parsed[P],
    context: Context,
    started: float,
    idempotency_key: str | None,
) -> Call:
    if endpoint.job:
        request_id = new_job_id(endpoint.job)  # the job's id is its usage record's and hold's
    else:
        request_id = getattr(request.state, "request_id", None) or f"req_{uuid.uuid4().hex}"
    return Call(
        endpoint=endpoint.path,
        principal=principal,
        request_id=request_id,
        started=started,
        fingerprint=fingerprint(parsed.identity) if idempotency_key else "",
        idempotency_key=idempotency_key,
        price_version=context.catalog.version,
        app=App.from_headers(request.headers),
        max_cost=parsed.max_cost,
    )


def available(models: tuple[CatalogModel, ...]) -> tuple[tuple[CatalogModel, ...], list[Attempt]]:
    """The models whose provider key is there (cached after the first look), and the others as failed tries: a
    model without its key is unavailable before anything is held; alone, it is the answer (503)."""
    tries: list[Attempt] = []
    found: list[CatalogModel] = []
    for model in models:
        try:
            credentials.api_key(model)
        except UpstreamError as error:
            if len(models) == 1:
                raise upstream_error(error) from None
            tries.append(Attempt(model.id, model.provider, error.status, 0, error.message))
        else:
            found.append(model)
    if not found:
        raise upstream_error(UpstreamError(503, tries[-1].error or "unavailable"))
    return tuple(found), tries


def upstream_error(error: UpstreamError) -> ApiError:
    """An upstream's failure as the client sees it."""
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


def replay(stored: dict[str, Any], request_id: str) -> Response:
    """The answer an Idempotency-Key already got, sent again."""
    headers = {"x-request-id": request_id, "idempotent-replayed": "true"}
    return Response(
        stored.get("body", ""),
        status_code=int(stored.get("status", 200)),
        media_type=stored.get("content_type", "application/json"),
        headers=headers,
    )
