"""OpenAI's ``POST /v1/images/generations`` (pure): the request and the ``ImagesResponse``. GPT-image models
answer base64 only; dall-e style models may answer URLs. ``usage`` (tokens) is present when the upstream reported
it, with our ``cost``; the charge is also in the ``x-empirio-cost`` header of every answer."""

from __future__ import annotations

import re
from typing import Any

from empirio.domain.media import ImageEditRequest, ImageRequest, Images, Upload
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import cost_json

MAX_PROMPT_CHARS = 32_000
SIZE_RE = re.compile(r"^(auto|[1-9][0-9]{1,4}x[1-9][0-9]{1,4})$")


def _choice(body: dict[str, Any] | dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if value not in allowed:
        raise InvalidRequestError(
            f"'{name}' must be one of {', '.join(allowed)}.", param=name, code="invalid_value"
        )
    return str(value)


def parse_request(body: dict[str, Any]) -> ImageRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("'model' is required: a model id such as 'local/image'.", param="model")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequestError("'prompt' is required: a description of the image.", param="prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequestError(
            f"'prompt' has {len(prompt)} characters; at most {MAX_PROMPT_CHARS}.",
            param="prompt",
            code="invalid_value",
        )
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 10:
        raise InvalidRequestError("'n' must be an integer from 1 to 10.", param="n", code="invalid_value")
    size = body.get("size")
    if size is not None and (not isinstance(size, str) or not SIZE_RE.match(size)):
        raise InvalidRequestError("'size' must be 'auto' or WIDTHxHEIGHT, e.g. '1024x1024'.", param="size")
    user = body.get("user")
    return ImageRequest(
        model=model,
        prompt=prompt,
        n=n,
        size=size,
        quality=_choice(body, "quality", ("auto", "low", "medium", "high", "standard", "hd")),
        response_format=_choice(body, "response_format", ("url", "b64_json")),
        output_format=_choice(body, "output_format", ("png", "jpeg", "webp")),
        background=_choice(body, "background", ("auto", "transparent", "opaque")),
        style=_choice(body, "style", ("vivid", "natural")),
        user=user if isinstance(user, str) else None,
    )


def parse_edit(fields: dict[str, str], images: list[Upload], mask: Upload | None) -> ImageEditRequest:
    """The multipart form: its text fields (numbers arrive as text) and its files."""
    body: dict[str, object] = dict(fields)
    if "n" in fields:
        try:
            body["n"] = int(fields["n"])
        except ValueError:
            raise InvalidRequestError(
                "'n' must be an integer from 1 to 10.", param="n", code="invalid_value"
            ) from None
    if not images:
        raise InvalidRequestError("'image' is required: the image to edit (multipart upload).", param="image")
    if len(images) > 16:
        raise InvalidRequestError(
            "At most 16 images can be edited at once.", param="image", code="invalid_value"
        )
    if any(not image.content for image in images):
        raise InvalidRequestError("An uploaded image is empty.", param="image", code="invalid_value")
    fidelity = _choice(fields, "input_fidelity", ("high", "low"))
    for name in ("input_fidelity",):
        body.pop(name, None)
    return ImageEditRequest(parse_request(body), tuple(images), mask, fidelity)


def render_response(request: ImageRequest, result: Images, *, created: int, cost: Cost) -> dict[str, Any]:
    data = []
    for image in result.images:
        item: dict[str, Any] = {}
        if image.b64_json is not None:
            item["b64_json"] = image.b64_json
        if image.url is not None:
            item["url"] = image.url
        if image.revised_prompt is not None:
            item["revised_prompt"] = image.revised_prompt
        data.append(item)
    body: dict[str, Any] = {"created": created, "data": data}
    for name in ("size", "quality", "output_format", "background"):
        if getattr(request, name):
            body[name] = getattr(request, name)
    usage: dict[str, Any] = {}
    if result.reported_usage:
        usage = {
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "total_tokens": result.input_tokens + result.output_tokens,
            "input_tokens_details": {"text_tokens": result.input_tokens, "image_tokens": 0},
        }
    body["usage"] = {**usage, **cost_json(cost)}
    return body
