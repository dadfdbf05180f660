"""``POST /v1/embeddings``: the inputs' worst case held, the upstream's token count charged (see metered.py)."""

from __future__ import annotations

from fastapi.responses import Response

from empirio.context import Context
from empirio.domain.media import EmbeddingRequest
from empirio.domain.pricing import Usage
from empirio.formats.openai_embeddings import render_response, worst_case_tokens
from empirio.providers.base import Embedder, Embeddings
from functions.inference.metered import UnitCall, json_body, resolve, run_metered

ENDPOINT = "/v1/embeddings"


async def handle(context: Context, call: UnitCall, request: EmbeddingRequest) -> Response:
    model, embedder = resolve(context, request.model, ENDPOINT, Embedder)

    async def produce() -> Embeddings:
        return await embedder.embed(request, model)

    return await run_metered(
        context,
        call,
        model,
        prompt_tokens=worst_case_tokens(request),
        max_tokens=0,
        units=Usage(),
        produce=produce,
        usage_of=lambda result: Usage(input_tokens=result.prompt_tokens),
        render=lambda result, cost: json_body(
            render_response(
                request, result.vectors, model=model.id, prompt_tokens=result.prompt_tokens, cost=cost
            )
        ),
        record=lambda _: {"inputs": len(request.inputs)},
    )
