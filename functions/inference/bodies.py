"""Reading an inference request's inputs: its JSON object or multipart upload, what identifies it for an
Idempotency-Key, and its maximum cost (``x-max-cost`` or ``max_cost``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from empirio.domain.media import Upload
from empirio.domain.money import InvalidAmountError, parse_usd
from empirio.errors import InvalidRequestError, PayloadTooLargeError
from empirio.formats.openai_audio import MAX_UPLOAD_BYTES


async def json_body(request: Request) -> tuple[bytes, dict[str, Any]]:
    """The raw body and its JSON object, whose text is valid Unicode (web.text refused any other body first)."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # invalid JSON or UTF-8, or nested deeper than a request ever is
        raise InvalidRequestError("The request body is not valid JSON.", param="body") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.", param="body")
    return raw, body


async def multipart(
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


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
