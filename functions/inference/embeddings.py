"""``POST /v1/embeddings``: the inputs' worst case held, the upstream's token count charged (see metered.py)."""

from __future__ import annotations

from fastapi import Request

from empirio.domain.catalog import CatalogModel
from empirio.domain.media import EmbeddingRequest
from empirio.domain.pricing import Cost, Usage
from empirio.domain.usage_record import Units
from empirio.formats.openai_embeddings import parse_request, render_response, worst_case_tokens
from empirio.providers.base import Embedder, Embeddings
from functions.inference.gate import Parsed
from functions.inference.metered import Metered, Rendered, Worst, json_answer, parse_json


class CreateEmbeddings(Metered[EmbeddingRequest, Embedder, Embeddings]):
    path = "/v1/embeddings"
    kind = Embedder

    async def parse(self, request: Request) -> Parsed[EmbeddingRequest]:
        return await parse_json(request, parse_request)

    def model_of(self, request: EmbeddingRequest) -> str:
        return request.model

    def worst(self, request: EmbeddingRequest, model: CatalogModel) -> Worst:
        return Worst(prompt_tokens=worst_case_tokens(request))

    async def produce(self, adapter: Embedder, request: EmbeddingRequest, model: CatalogModel) -> Embeddings:
        return await adapter.embed(request, model)

    def usage_of(self, request: EmbeddingRequest, result: Embeddings, model: CatalogModel) -> Usage:
        return Usage(input_tokens=result.prompt_tokens)

    def render(
        self, request: EmbeddingRequest, result: Embeddings, model: CatalogModel, cost: Cost
    ) -> Rendered:
        return json_answer(
            render_response(
                request, result.vectors, model=model.id, prompt_tokens=result.prompt_tokens, cost=cost
            )
        )

    def record(self, request: EmbeddingRequest, result: Embeddings | None) -> Units:
        return Units(inputs=len(request.inputs))
