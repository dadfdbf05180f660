"""``POST /v1/images/generations``: ``n`` images (and, for token-priced models, every output token they may
take) held; the images returned and the tokens the upstream counted charged (see metered.py)."""

from __future__ import annotations

import time

from fastapi.responses import Response

from empirio.context import Context
from empirio.domain.pricing import Usage
from empirio.formats.openai_images import ImageRequest, Images, render_response
from empirio.providers.registry import image_generator_for
from functions.inference.metered import UnitCall, json_body, resolve, run_metered

ENDPOINT = "/v1/images/generations"


def usage_of(result: Images) -> Usage:
    return Usage(
        images=len(result.images), input_tokens=result.input_tokens, output_tokens=result.output_tokens
    )


async def handle(context: Context, call: UnitCall, request: ImageRequest) -> Response:
    model = resolve(context, request.model, ENDPOINT, lambda m: image_generator_for(m.provider) is not None)
    generator = image_generator_for(model.provider)
    assert generator is not None  # resolve() checked
    token_priced = model.pricing.output_per_mtok is not None

    async def produce() -> Images:
        return await generator.generate(request, model)

    return await run_metered(
        context,
        call,
        model,
        prompt_tokens=len(request.prompt.encode("utf-8")),  # a tokenizer never makes more tokens than bytes
        max_tokens=request.n * model.max_output_tokens if token_priced else 0,
        units=Usage(images=request.n),
        produce=produce,
        usage_of=usage_of,
        render=lambda result, cost: json_body(
            render_response(request, result, created=int(time.time()), cost=cost)
        ),
        record=lambda result: {"images": len(result.images) if result else 0, "requested_images": request.n},
    )
