"""``POST /v1/messages/count_tokens`` (Anthropic's, which Claude Code calls): the prompt's typical token count,
not the hold's bound. The gate's steps up to parse; no model is resolved, nothing held."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from empirio.context import Context
from empirio.domain.accounts import Principal
from empirio.domain.canonical import Request as CanonicalRequest
from empirio.domain.catalog import CatalogModel
from empirio.domain.tokens import typical_prompt_tokens
from empirio.formats import anthropic_messages
from functions.inference.bodies import json_body
from functions.inference.gate import Parsed


class CountTokens:
    path = "/v1/messages/count_tokens"

    async def parse(self, request: Request) -> Parsed[CanonicalRequest]:
        _, body = await json_body(request)
        return Parsed(anthropic_messages.parse_request({"max_tokens": 1, **body}))

    def resolve(self, context: Context, request: CanonicalRequest) -> tuple[CatalogModel, ...]:
        return ()  # a count needs no model: any name is counted the same

    async def answer(
        self,
        context: Context,
        principal: Principal,
        parsed: Parsed[CanonicalRequest],
        models: tuple[CatalogModel, ...],
    ) -> Response:
        return JSONResponse({"input_tokens": typical_prompt_tokens(parsed.request)})
