"""OpenAI's Videos API (pure): ``POST /v1/videos`` (multipart, as the SDK sends it, or JSON), the ``video`` job
object of ``GET /v1/videos/{id}`` and the list of ``GET /v1/videos``. A job is ``queued`` → ``in_progress`` →
``completed`` | ``failed``; it has no usage object, so our ``cost`` (USD, once the job has ended) is an added field
and the ``x-empirio-cost`` header."""

from __future__ import annotations

import re
from typing import Any

from empirio.domain.media import DEFAULT_VIDEO_SECONDS, Upload, VideoRequest
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import cost_json

MAX_PROMPT_CHARS = 32_000
MAX_SECONDS = 120
SIZE_RE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
STATUSES = ("queued", "in_progress", "completed", "failed")


def parse_request(fields: dict[str, Any], reference: Upload | None = None) -> VideoRequest:
    """The form's (or JSON body's) fields; numbers may arrive as text, as ``seconds`` always does from the SDK."""
    model = fields.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("'model' is required: a model id such as 'local/video'.", param="model")
    prompt = fields.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequestError("'prompt' is required: a description of the video.", param="prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"'prompt' has {len(prompt)} characters; at most {MAX_PROMPT_CHARS}.",
            param="prompt",
            code="invalid_value",
        )
    raw_seconds = fields.get("seconds", DEFAULT_VIDEO_SECONDS)
    try:
        seconds = int(str(raw_seconds).strip().removesuffix("s"))
    except ValueError:
        seconds = 0
    if isinstance(raw_seconds, bool) or not 1 <= seconds <= MAX_SECONDS:
        raise InvalidRequestError(
            f"'seconds' must be a whole number of seconds from 1 to {MAX_SECONDS}, e.g. \"4\".",
            param="seconds",
            code="invalid_value",
        )
    size = fields.get("size") or None
    if size is not None and (not isinstance(size, str) or not SIZE_RE.match(size)):
        raise InvalidRequestError("'size' must be WIDTHxHEIGHT, e.g. '1280x720'.", param="size")
    if reference is not None and not reference.content_type.startswith("image/"):
        raise InvalidRequestError(
            "'input_reference' must be an image (image/png, image/jpeg or image/webp).",
            param="input_reference",
        )
    return VideoRequest(model, prompt, seconds, size, reference)


def render_job(job: dict[str, Any], cost: Cost | None = None) -> dict[str, Any]:
    """A stored job as OpenAI's ``video`` object (and our ``cost`` once it has ended)."""
    error = job.get("error")
    out: dict[str, Any] = {
        "id": job["job_id"],
        "object": "video",
        "model": job["model"],
        "status": job["status"],
        "progress": int(job.get("progress") or 0),
        "created_at": int(job["created_at"]),
        "completed_at": int(job["completed_at"]) if job.get("completed_at") else None,
        "expires_at": int(job["expires_at"]) if job.get("expires_at") else None,
        "prompt": job.get("prompt"),
        "size": job["size"],
        "seconds": str(job["seconds"]),
        "remixed_from_video_id": None,
        "error": dict(error) if error else None,
    }
    if cost is not None:
        out.update(cost_json(cost))
    return out


def render_list(jobs: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    data = [render_job(job) for job in jobs]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }
