"""HTTP routes of the inference family (thin: read, authenticate, parse, hand to the service)."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from empirio.context import Context, get_context
from empirio.domain.attribution import App
from empirio.domain.keys import Scope
from empirio.domain.media import Upload
from empirio.domain.tokens import typical_prompt_tokens
from empirio.errors import InvalidRequestError, PayloadTooLargeError, PermissionDeniedError
from empirio.formats import anthropic_messages
from empirio.formats.openai_audio import MAX_UPLOAD_BYTES, parse_speech, parse_transcription
from empirio.formats.openai_embeddings import parse_request as parse_embeddings
from empirio.formats.openai_images import parse_edit as parse_image_edit
from empirio.formats.openai_images import parse_request as parse_images
from empirio.formats.openai_videos import parse_request as parse_video
from empirio.web.auth import authenticate
from empirio.web.idempotency import idempotency_key_of
from functions.inference import audio, embeddings, images, videos
from functions.inference.estimate import detect_endpoint, estimate
from functions.inference.formats import FORMATS
from functions.inference.metered import UnitCall
from functions.inference.service import (
    Call,
    InferenceService,
    check_allowed,
    fingerprint,
    max_cost_of,
    resolve_models,
)

router = APIRouter()
P = TypeVar("P")  # a parsed request


async def _json_body(request: Request) -> tuple[bytes, dict[str, Any]]:
    """The raw body and its JSON object, whose text is valid Unicode (web.text refused any other body first)."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # invalid JSON or UTF-8, or nested deeper than a request ever is
        raise InvalidRequestError("The request body is not valid JSON.", param="body") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.", param="body")
    return raw, body


async def _infer(request: Request, endpoint: str) -> Response:
    started = time.monotonic()
    principal = authenticate(request)
    if not principal.can(Scope.INFERENCE):
        raise PermissionDeniedError("This API key lacks the 'inference' scope.", code="insufficient_scope")
    raw, body = await _json_body(request)
    fmt = FORMATS[endpoint]
    canonical = fmt.parse_request(body)
    context = get_context()
    models = resolve_models(context, canonical, endpoint)
    check_allowed(principal, models)
    request_id = getattr(request.state, "request_id", None) or f"req_{uuid.uuid4().hex}"
    idempotency_key = idempotency_key_of(request.headers)
    call = Call(
        endpoint=endpoint,
        fmt=fmt,
        request=canonical,
        models=models,
        principal=principal,
        request_id=request_id,
        started=started,
        fingerprint=fingerprint(raw) if idempotency_key else "",
        idempotency_key=idempotency_key,
        price_version=context.catalog.version,
        app=App.from_headers(request.headers),
        max_cost=max_cost_of(request.headers.get("x-max-cost"), body),
    )
    return await InferenceService(context).handle(call)


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    return await _infer(request, "/v1/chat/completions")


@router.post("/v1/responses")
async def responses(request: Request) -> Response:
    return await _infer(request, "/v1/responses")


@router.post("/v1/messages")
async def messages(request: Request) -> Response:
    return await _infer(request, "/v1/messages")


async def _json_unit(
    request: Request,
    endpoint: str,
    parse: Callable[[dict[str, Any]], P],
    handle: Callable[[Context, UnitCall, P], Awaitable[Response]],
) -> Response:
    """A JSON endpoint that is not chat: read, authenticate, parse, hand to its metered handler."""
    raw, body = await _json_body(request)
    call = UnitCall.of(request, endpoint, raw, body)
    return await handle(get_context(), call, parse(body))


@router.post("/v1/embeddings")
async def create_embeddings(request: Request) -> Response:
    return await _json_unit(request, "/v1/embeddings", parse_embeddings, embeddings.handle)


@router.post("/v1/images/generations")
async def create_images(request: Request) -> Response:
    return await _json_unit(request, "/v1/images/generations", parse_images, images.handle)


@router.post("/v1/audio/speech")
async def create_speech(request: Request) -> Response:
    return await _json_unit(request, "/v1/audio/speech", parse_speech, audio.speech)


@router.post("/v1/audio/transcriptions")
async def create_transcription(request: Request) -> Response:
    raw, fields, lists, files = await _multipart(request)
    upload = files.get("file", [None])[0]
    parsed = parse_transcription(
        fields,
        lists.get("timestamp_granularities[]", []),
        upload.content if upload else None,
        upload.filename if upload else "",
        upload.content_type if upload else "",
    )
    call = UnitCall.of(request, "/v1/audio/transcriptions", raw, fields)
    return await audio.transcription(get_context(), call, parsed)


@router.post("/v1/images/edits")
async def edit_images(request: Request) -> Response:
    raw, fields, _, files = await _multipart(request)
    edit = parse_image_edit(
        fields, [*files.get("image", []), *files.get("image[]", [])], files.get("mask", [None])[0]
    )
    call = UnitCall.of(request, "/v1/images/edits", raw, fields)
    return await images.handle(get_context(), call, edit.base, edit)


@router.post("/v1/videos")
async def create_video(request: Request) -> Response:
    """Multipart (as the SDK sends it, with an optional ``input_reference`` image) or JSON."""
    if request.headers.get("content-type", "").startswith("application/json"):
        raw, fields = await _json_body(request)
        reference = None
    else:
        raw, fields, _, files = await _multipart(request)
        reference = files.get("input_reference", [None])[0]
    call = UnitCall.of(request, "/v1/videos", raw, fields)
    return await videos.create(get_context(), call, parse_video(fields, reference))


@router.get("/v1/videos")
async def list_videos(request: Request) -> Response:
    return await videos.listing(get_context(), request)


# The path's video id is read from the route match and described to OpenAPI here: a declared ``video_id: str``
# parameter would make FastAPI build a field for it at import and, checking for pydantic v1 models, import
# ``pydantic.v1`` (~40 ms of the function's cold start).
VIDEO_ID = {
    "parameters": [{"name": "video_id", "in": "path", "required": True, "schema": {"type": "string"}}]
}


def _video_id(request: Request) -> str:
    return str(request.path_params["video_id"])


@router.get("/v1/videos/{video_id}", openapi_extra=VIDEO_ID)
async def retrieve_video(request: Request) -> Response:
    return await videos.retrieve(get_context(), request, _video_id(request))


@router.get("/v1/videos/{video_id}/content", openapi_extra=VIDEO_ID)
async def video_content(request: Request) -> Response:
    return await videos.content(get_context(), request, _video_id(request))


@router.delete("/v1/videos/{video_id}", openapi_extra=VIDEO_ID)
async def delete_video(request: Request) -> Response:
    return await videos.delete(get_context(), request, _video_id(request))


async def _multipart(
    request: Request,
) -> tuple[bytes, dict[str, str], dict[str, list[str]], dict[str, list[Upload]]]:
    """A multipart upload: what identifies its content (for Idempotency-Key: the fields and each file's SHA-256,
    not the raw body, whose boundary is random per send), its text fields (last value, and every value of each),
    and its files by field name. Larger than the endpoints take: 413 before anything else."""
    raw = await request.body()
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"The upload is {len(raw)} bytes; at most {MAX_UPLOAD_BYTES}.", param="file"
        )
    try:
        form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
    except Exception:  # not multipart, or a broken one
        raise InvalidRequestError(
            "Send the request as multipart/form-data: the file parts and the text fields.", param="file"
        ) from None
    fields: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    files: dict[str, list[Upload]] = {}
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read()
                files.setdefault(name, []).append(
                    Upload(value.filename or name, content, value.content_type or "application/octet-stream")
                )
            else:
                fields[name] = value
                lists.setdefault(name, []).append(value)
    finally:
        await form.close()
    if not request.headers.get("idempotency-key"):
        return b"", fields, lists, files  # nothing to recognize a retry by: the uploads are not hashed
    identity = {
        "fields": sorted(lists.items()),
        "files": sorted(
            (name, u.filename, u.content_type, hashlib.sha256(u.content).hexdigest())
            for name, uploads in files.items()
            for u in uploads
        ),
    }
    return json.dumps(identity).encode(), fields, lists, files


@router.post("/v1/messages/count_tokens")
async def count_tokens(request: Request) -> JSONResponse:
    authenticate(request)
    _, body = await _json_body(request)
    canonical = anthropic_messages.parse_request({"max_tokens": 1, **body})
    return JSONResponse({"input_tokens": typical_prompt_tokens(canonical)})  # a count, not the hold's bound


@router.post("/v1/estimate")
async def estimate_request(request: Request) -> JSONResponse:
    """What a request would cost and whether it would be admitted now; no model is called, nothing is held."""
    principal = authenticate(request)
    if not principal.can(Scope.INFERENCE):
        raise PermissionDeniedError("This API key lacks the 'inference' scope.", code="insufficient_scope")
    _, body = await _json_body(request)
    inner = body.get("body", body) if "endpoint" in body else body
    if not isinstance(inner, dict):
        raise InvalidRequestError("'body' must be a JSON object.", param="body")
    endpoint = detect_endpoint(inner, body.get("endpoint"))
    max_cost = max_cost_of(request.headers.get("x-max-cost"), inner)
    answer = await run_in_threadpool(estimate, get_context(), principal, endpoint, inner, max_cost)
    return JSONResponse(answer)


@router.head("/")
async def head_root() -> Response:
    """Claude Code checks connectivity with a quick HEAD /."""
    return Response(status_code=200)
