"""``POST /v1/images/generations`` and ``/v1/images/edits``: ``n`` images (and, for token-priced models, every
output token they may take) held; the images returned and the tokens the upstream counted charged (see
metered.py)."""

from __future__ import annotations

import time

from fastapi import Request

from empirio.domain.catalog import CatalogModel
from empirio.domain.media import ImageEditRequest, ImageRequest, Images
from empirio.domain.pricing import Cost, Usage
from empirio.domain.usage_record import Units
from empirio.formats.openai_images import parse_edit, parse_request, render_response
from empirio.providers.base import ImageEditor, ImageGenerator
from functions.inference.bodies import max_cost_of, multipart
from functions.inference.gate import Parsed
from functions.inference.metered import Metered, Rendered, Worst, json_answer, parse_json

MAX_TOKENS_PER_INPUT_IMAGE = 8_192  # GPT-image counts an input image in the hundreds to a few thousand tokens


def worst(request: ImageRequest, model: CatalogModel, inputs: int = 0) -> Worst:
    """``n`` images; a tokenizer never makes more tokens than bytes, an image to edit at most
    MAX_TOKENS_PER_INPUT_IMAGE (counted only for token-priced models)."""
    token_priced = model.pricing.output_per_mtok is not None
    prompt = len(request.prompt.encode("utf-8", "surrogatepass"))
    return Worst(
        prompt_tokens=prompt + (MAX_TOKENS_PER_INPUT_IMAGE * inputs if token_priced else 0),
        max_tokens=request.n * model.max_output_tokens if token_priced else 0,
        units=Usage(images=request.n),
    )


def usage_of(result: Images) -> Usage:
    return Usage(
        images=len(result.images), input_tokens=result.input_tokens, output_tokens=result.output_tokens
    )


def render(request: ImageRequest, result: Images, cost: Cost) -> Rendered:
    return json_answer(render_response(request, result, created=int(time.time()), cost=cost))


def record(request: ImageRequest, result: Images | None) -> Units:
    return Units(images=len(result.images) if result else 0, requested_images=request.n)


class CreateImages(Metered[ImageRequest, ImageGenerator, Images]):
    path = "/v1/images/generations"
    kind = ImageGenerator

    async def parse(self, request: Request) -> Parsed[ImageRequest]:
        return await parse_json(request, parse_request)

    def model_of(self, request: ImageRequest) -> str:
        return request.model

    def worst(self, request: ImageRequest, model: CatalogModel) -> Worst:
        return worst(request, model)

    async def produce(self, adapter: ImageGenerator, request: ImageRequest, model: CatalogModel) -> Images:
        return await adapter.generate(request, model)

    def usage_of(self, request: ImageRequest, result: Images, model: CatalogModel) -> Usage:
        return usage_of(result)

    def render(self, request: ImageRequest, result: Images, model: CatalogModel, cost: Cost) -> Rendered:
        return render(request, result, cost)

    def record(self, request: ImageRequest, result: Images | None) -> Units:
        return record(request, result)


class EditImages(Metered[ImageEditRequest, ImageEditor, Images]):
    """A multipart upload of the images to edit (``image`` or ``image[]``) and an optional ``mask``."""

    path = "/v1/images/edits"
    kind = ImageEditor

    async def parse(self, request: Request) -> Parsed[ImageEditRequest]:
        raw, fields, _, files = await multipart(request)
        images = [*files.get("image", []), *files.get("image[]", [])]
        edit = parse_edit(fields, images, files.get("mask", [None])[0])
        return Parsed(edit, raw, max_cost_of(request.headers.get("x-max-cost"), fields))

    def model_of(self, request: ImageEditRequest) -> str:
        return request.base.model

    def worst(self, request: ImageEditRequest, model: CatalogModel) -> Worst:
        return worst(request.base, model, len(request.images))

    async def produce(self, adapter: ImageEditor, request: ImageEditRequest, model: CatalogModel) -> Images:
        return await adapter.edit(request, model)

    def usage_of(self, request: ImageEditRequest, result: Images, model: CatalogModel) -> Usage:
        return usage_of(result)

    def render(self, request: ImageEditRequest, result: Images, model: CatalogModel, cost: Cost) -> Rendered:
        return render(request.base, result, cost)

    def record(self, request: ImageEditRequest, result: Images | None) -> Units:
        return record(request.base, result)
