"""``/v1/videos``: an asynchronous job. Creation holds the requested seconds at the model's rate (for up to
six hours, not the usual minutes) and starts the upstream job; every look at the job afterwards (retrieve,
download, list, and the sweeper) asks the upstream and records its end once, in ``empirio.services.video_jobs``."""

from __future__ import annotations

import asyncio
import json
import time
from fractions import Fraction
from typing import Any, cast

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from empirio.context import Context
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import VideoRequest
from empirio.domain.pricing import Usage
from empirio.errors import InvalidRequestError, NotFoundError
from empirio.formats.openai_videos import parse_request, render_job, render_list
from empirio.providers.base import UpstreamError, VideoGenerator
from empirio.providers.registry import adapter
from empirio.services import video_jobs
from functions.inference.bodies import json_body, max_cost_of, multipart
from functions.inference.gate import Admitted, Hold, Parsed, authorize, upstream_error
from functions.inference.metered import admitted_as, describe
from functions.inference.resolve import resolve_one

MAX_PAGE = 100


def _cost_headers(job: dict[str, Any]) -> dict[str, str]:
    cost = video_jobs.charge_of(job)
    return {} if cost is None else {"x-empirio-cost": f"{cost.micros / 1_000_000:.6f}"}


def _answer(job: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(
        render_job(job, video_jobs.charge_of(job)),
        status_code=status,
        headers={"x-request-id": job["job_id"], **_cost_headers(job)},
    )


class CreateVideo:
    """``POST /v1/videos``: multipart (as the SDK sends it, with an optional ``input_reference`` image) or JSON.
    The job's id is its request's, its hold's and its usage record's."""

    path = video_jobs.ENDPOINT
    job = "video"

    async def parse(self, request: Request) -> Parsed[VideoRequest]:
        if request.headers.get("content-type", "").startswith("application/json"):
            raw, fields = await json_body(request)
            reference = None
        else:
            raw, fields, _, files = await multipart(request)
            reference = files.get("input_reference", [None])[0]
        max_cost = max_cost_of(request.headers.get("x-max-cost"), fields)
        return Parsed(parse_request(fields, reference), raw, max_cost)

    def resolve(self, context: Context, request: VideoRequest) -> tuple[CatalogModel, ...]:
        model, _ = resolve_one(context, request.model, self.path, VideoGenerator)
        return (model,)

    def hold(self, request: VideoRequest, models: tuple[CatalogModel, ...]) -> Hold:
        """The requested seconds at the model's rate, for as long as a job may take."""
        worst = admitted_as(models[0], Usage(video_seconds=Fraction(request.seconds)))
        return Hold(worst, 0, 0, hold_seconds=video_jobs.HOLD_SECONDS)

    async def serve(self, admitted: Admitted[VideoRequest]) -> Response:
        """The upstream job started and the job stored; settled later, by whoever sees it end."""
        context, call, request = admitted.context, admitted.call, admitted.request
        admission = admitted.admission
        model = admitted.models[0]
        generator = cast(VideoGenerator, adapter(model.provider))  # resolve checked the capability
        job_id, account_id = call.request_id, call.principal.account_id
        now = int(time.time())
        job: dict[str, Any] = {
            "account_id": account_id,
            "job_id": job_id,
            "key_id": call.principal.key_id,
            "model": model.id,
            "provider": model.provider,
            "pricing": model.pricing.model_dump(mode="json", exclude_none=True),
            "price_version": call.price_version,
            "status": "queued",
            "progress": 0,
            "created_at": now,
            "prompt": request.prompt,
            "size": request.size,
            "seconds": request.seconds,
            "source": "playground" if call.principal.via_session else "api",
            **call.app.as_record(),
        }
        try:
            output_uri = context.blobs.uri(video_jobs.output_prefix(account_id, job_id))
            job["reference"] = await generator.start_video(request, model, job_id, output_uri)
        except UpstreamError as error:
            await admitted.void(describe(call, model, call.started, error.message, error.status))
            raise upstream_error(error) from None
        await run_in_threadpool(context.jobs.put, job)
        body = render_job(job)
        if admission.hold.idem_key:
            stored = {"status": 200, "content_type": "application/json", "body": json.dumps(body)}
            await run_in_threadpool(context.ledger.store_response, admission.hold.idem_key, job_id, stored)
        return JSONResponse(body, headers={"x-request-id": job_id})


async def _job(context: Context, request: Request, video_id: str) -> dict[str, Any]:
    principal = authorize(request)
    job = await run_in_threadpool(context.jobs.get, principal.account_id, video_id)
    if job is None or not video_id.startswith("video_"):
        raise NotFoundError(f"No video with id {video_id!r}.", param="video_id", code="video_not_found")
    return await context.video_jobs.observe(job)


async def retrieve(context: Context, request: Request, video_id: str) -> Response:
    return _answer(await _job(context, request, video_id))


async def content(context: Context, request: Request, video_id: str) -> Response:
    variant = request.query_params.get("variant", "video")
    if variant != "video":
        raise InvalidRequestError(
            "Only variant=video is kept; thumbnails and spritesheets are not.", param="variant"
        )
    job = await _job(context, request, video_id)
    if job["status"] != "completed":
        raise InvalidRequestError(
            f"The video is not ready: its status is {job['status']}.",
            param="video_id",
            code="video_not_ready",
        )
    data = await run_in_threadpool(context.blobs.get, job["content_key"]) if job.get("content_key") else None
    if data is None:
        raise NotFoundError(
            "The video's content has expired; results are kept for 7 days.", code="video_expired"
        )
    return Response(data, media_type="video/mp4", headers={"x-request-id": video_id, **_cost_headers(job)})


async def listing(context: Context, request: Request) -> Response:
    principal = authorize(request)
    raw_limit = request.query_params.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_PAGE:
        raise InvalidRequestError(f"'limit' must be from 1 to {MAX_PAGE}.", param="limit")
    order = request.query_params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidRequestError("'order' must be 'asc' or 'desc'.", param="order")
    jobs, more = await run_in_threadpool(
        context.jobs.page,
        principal.account_id,
        "video_",
        int(raw_limit),
        request.query_params.get("after") or None,
        order == "desc",
    )
    service = context.video_jobs
    observed = await asyncio.gather(*(service.observe(job) for job in jobs))
    return JSONResponse(render_list(list(observed), more))


async def delete(context: Context, request: Request, video_id: str) -> Response:
    job = await _job(context, request, video_id)
    await context.video_jobs.cancel(job)
    return JSONResponse({"id": video_id, "object": "video.deleted", "deleted": True})
