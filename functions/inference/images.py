"""``POST /v1/images/generations``: ``n`` images (and, for token-priced models, every output token they may
take) held; the images returned and the tokens the upstream counted charged (see metered.py)."""

from __future__ import annotations

import time

from fastapi.responses import Response

from empirio.context import Context
from empirio.domain.media import ImageEditRequest, ImageRequest, Images
from empirio.domain.pricing import Usage
from empirio.formats.openai_images import render_response
from empirio.providers.base import ImageEditor, ImageGenerator
from functions.inference.metered import UnitCall, json_body, resolve, run_metered

MAX_TOKENS_PER_INPUT_IMAGE = 8_192  # GPT-image counts an input image in the hundreds to a few thousand tokens


def usage_of(result: Images) -> Usage:
    return Usage(
        images=len(result.images), input_tokens=result.input_tokens, output_tokens=result.output_tokens
    )


async def handle(
    context: Context, call: UnitCall, request: ImageRequest, edit: ImageEditRequest | None = None
) -> Response:
    """A generation, or (with ``edit``) an edit of uploaded images: the same worst case and charge."""
    if edit is not None:
        model, editor = resolve(context, request.model, call.endpoint, ImageEditor)

        async def produce() -> Images:
            return await editor.edit(edit, model)

    else:
        model, generator = resolve(context, request.model, call.endpoint, ImageGenerator)

        async def produce() -> Images:
            return await generator.generate(request, model)

    token_priced = model.pricing.output_per_mtok is not None
    image_tokens = MAX_TOKENS_PER_INPUT_IMAGE * len(edit.images) if edit else 0

    return await run_metered(
        context,
        call,
        model,
        # a tokenizer never makes more tokens than bytes; an image to edit at most MAX_TOKENS_PER_INPUT_IMAGE
        prompt_tokens=len(request.prompt.encode("utf-8", "surrogatepass"))
        + (image_tokens if token_priced else 0),
        max_tokens=request.n * model.max_output_tokens if token_priced else 0,
        units=Usage(images=request.n),
        produce=produce,
        usage_of=usage_of,
        render=lambda result, cost: json_body(
            render_response(request, result, created=int(time.time()), cost=cost)
        ),
        record=lambda result: {"images": len(result.images) if result else 0, "requested_images": request.n},
    )
