"""OpenAI's Videos API as an upstream (pure builders and parsers): ``POST /videos`` (multipart when an
``input_reference`` image goes with it, else JSON), ``GET /videos/{id}`` and ``GET /videos/{id}/content``. The
shape outlived Sora at OpenAI: OpenAI-compatible upstreams (resellers, OpenRouter-style proxies) still serve it."""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from urllib.parse import quote

from empirio.domain.catalog import CatalogModel
from empirio.domain.media import VideoProgress, VideoRequest
from empirio.providers.base import UpstreamCall
from empirio.providers.credentials import api_key

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def _base(model: CatalogModel) -> tuple[str, dict[str, str]]:
    key = api_key(model)
    return (model.base_url or DEFAULT_BASE_URL).rstrip("/"), {"Authorization": f"Bearer {key}"} if key else {}


def build_create(request: VideoRequest, model: CatalogModel) -> UpstreamCall:
    base, headers = _base(model)
    fields: dict[str, Any] = {
        "model": model.upstream_model,
        "prompt": request.prompt,
        "seconds": str(request.seconds),
        "size": request.size,
    }
    reference = request.input_reference
    if reference is None:
        return UpstreamCall(f"{base}/videos", headers, fields)
    files = (("input_reference", reference.filename, reference.content, reference.content_type),)
    return UpstreamCall(f"{base}/videos", headers, fields, files)


def build_status(reference: str, model: CatalogModel) -> UpstreamCall:
    base, headers = _base(model)
    return UpstreamCall(f"{base}/videos/{quote(reference, safe='')}", headers, {}, method="GET")


def build_content(reference: str, model: CatalogModel) -> UpstreamCall:
    base, headers = _base(model)
    url = f"{base}/videos/{quote(reference, safe='')}/content?variant=video"
    return UpstreamCall(url, {**headers, "Accept": "application/binary"}, {}, method="GET")


def parse_created(payload: dict[str, Any]) -> str:
    reference = payload["id"]
    if not isinstance(reference, str) or not reference:
        raise ValueError("a video job without an id")
    return reference


def parse_status(payload: dict[str, Any]) -> VideoProgress:
    status = str(payload["status"])
    if status not in ("queued", "in_progress", "completed", "failed"):
        raise ValueError(f"unknown video status {status!r}")
    error = payload.get("error") or {}
    seconds = payload.get("seconds")
    return VideoProgress(
        status,
        int(payload.get("progress") or 0),
        Fraction(str(seconds)) if status == "completed" and seconds is not None else None,
        str(error.get("message") or error.get("code") or "The upstream failed the job.")
        if status == "failed"
        else None,
    )
