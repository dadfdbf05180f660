"""The native Anthropic Messages API: canonical ⇄ Anthropic wire, buffered and streamed.

Stream usage is cumulative on Anthropic (message_start carries input, message_delta carries the running output),
so it is folded as the max per field.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from empirio.domain.canonical import (
    Block,
    Document,
    Event,
    Finish,
    FinishReason,
    Image,
    Request,
    Response,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolResult,
    UsageUpdate,
)
from empirio.domain.catalog import CatalogModel
from empirio.providers import transport
from empirio.providers.base import Options, UpstreamCall, UpstreamError, readable
from empirio.providers.credentials import api_key

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    "pause_turn": "stop",
}


def _image(image: Image) -> dict[str, Any]:
    if image.url:
        return {"type": "image", "source": {"type": "url", "url": image.url}}
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": image.media_type or "image/png", "data": image.data},
    }


def _blocks(blocks: tuple[Block, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for b in blocks:
        if isinstance(b, Text) and b.text:
            out.append({"type": "text", "text": b.text})
        elif isinstance(b, Image):
            out.append(_image(b))
        elif isinstance(b, Document):
            document: dict[str, Any] = {
                "type": "document",
                "source": {"type": "base64", "media_type": b.media_type, "data": b.data},
            }
            if b.filename:
                document["title"] = b.filename
            out.append(document)
        elif isinstance(b, ToolCall):
            arguments = b.arguments_object()
            out.append({"type": "tool_use", "id": b.id, "name": b.name, "input": arguments})
        elif isinstance(b, ToolResult):
            out.append(
                {
                    "type": "tool_result",
                    "tool_use_id": b.tool_call_id,
                    "is_error": b.is_error,
                    "content": _blocks(b.content) or "",
                }
            )
        elif isinstance(b, Thinking) and b.signature:
            out.append({"type": "thinking", "thinking": b.text, "signature": b.signature})
    return out


def _messages(request: Request) -> list[dict[str, Any]]:
    """Anthropic wants alternating user/assistant turns: tool results ride in user turns, and adjacent turns of
    one role are merged."""
    out: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m.content)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def build(request: Request, model: CatalogModel, options: Options, stream: bool) -> UpstreamCall:
    body: dict[str, Any] = {
        "model": model.upstream_model,
        "max_tokens": options.max_tokens,
        "messages": _messages(request),
    }
    system = request.system_text()
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = min(request.temperature, 1.0)
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if request.tools:
        body["tools"] = [
            {"name": t.name, "description": t.description, "input_schema": t.parameters}
            for t in request.tools
        ]
    if request.tool_choice and request.tools:
        tc = request.tool_choice
        body["tool_choice"] = {
            "auto": {"type": "auto"},
            "required": {"type": "any"},
            "none": {"type": "none"},
            "tool": {"type": "tool", "name": tc.name},
        }[tc.mode]
    rf = request.response_format
    if rf and rf.type in ("json_schema", "json_object"):
        hint = "Answer with JSON only" + (
            f" matching this JSON schema: {json.dumps(rf.schema)}" if rf.schema else "."
        )
        body["system"] = f"{system}\n\n{hint}".strip()
    if request.thinking_budget and request.thinking_budget < options.max_tokens:
        body["thinking"] = {"type": "enabled", "budget_tokens": max(1024, request.thinking_budget)}
        body.pop("temperature", None)
    if stream:
        body["stream"] = True
    headers = {"anthropic-version": API_VERSION}
    key = options.credentials.get("api_key") or api_key(model)
    if key:
        headers["x-api-key"] = key
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    return UpstreamCall(f"{base}/v1/messages", headers, body)


def parse_usage(raw: dict[str, Any] | None) -> TokenUsage:
    raw = raw or {}
    cached = int(raw.get("cache_read_input_tokens") or 0)
    created = int(raw.get("cache_creation_input_tokens") or 0)
    return TokenUsage(
        input_tokens=int(raw.get("input_tokens") or 0) + cached + created,
        output_tokens=int(raw.get("output_tokens") or 0),
        cached_input_tokens=cached,
    )


def parse_response(payload: dict[str, Any]) -> Response:
    content: list[Block] = []
    for block in payload.get("content") or []:
        kind = block.get("type")
        if kind == "text":
            content.append(Text(block.get("text") or ""))
        elif kind == "tool_use":
            content.append(
                ToolCall(block.get("id") or "", block.get("name") or "", json.dumps(block.get("input") or {}))
            )
        elif kind == "thinking":
            content.append(Thinking(block.get("thinking") or "", block.get("signature")))
    finish = _FINISH.get(payload.get("stop_reason") or "", "stop")
    return Response(tuple(content), finish, parse_usage(payload.get("usage")), payload.get("id"))


@dataclass
class EventParser:
    """Anthropic stream events → canonical events; tool_use blocks numbered in order of appearance."""

    block_tools: dict[int, int] = field(default_factory=dict)  # content block index → tool call index
    usage: TokenUsage = field(default_factory=TokenUsage)

    def feed(self, event: str | None, data: str) -> list[Event]:
        message = json.loads(data)
        kind = message.get("type") or event
        if kind == "error":  # e.g. overloaded_error mid-stream
            detail = (message.get("error") or {}).get("message") or "error event"
            raise UpstreamError(502, f"The upstream provider failed mid-stream: {detail}")
        if kind == "message_start":
            self.usage = self.usage.merge_max(parse_usage((message.get("message") or {}).get("usage")))
            return [UsageUpdate(self.usage)]
        if kind == "content_block_start":
            block = message.get("content_block") or {}
            if block.get("type") == "tool_use":
                tool_index = len(self.block_tools)
                self.block_tools[int(message.get("index", 0))] = tool_index
                return [ToolCallStart(tool_index, block.get("id") or "", block.get("name") or "")]
            if block.get("type") == "text" and block.get("text"):
                return [TextDelta(block["text"])]
            return []
        if kind == "content_block_delta":
            delta = message.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                return [TextDelta(delta.get("text") or "")]
            if dtype == "input_json_delta" and int(message.get("index", 0)) in self.block_tools:
                return [
                    ToolCallDelta(self.block_tools[int(message["index"])], delta.get("partial_json") or "")
                ]
            if dtype == "thinking_delta":
                return [ThinkingDelta(delta.get("thinking") or "")]
            if dtype == "signature_delta":
                return [ThinkingDelta("", delta.get("signature"))]
            return []
        if kind == "message_delta":
            out: list[Event] = []
            reason = (message.get("delta") or {}).get("stop_reason")
            if reason:
                out.append(Finish(_FINISH.get(reason, "stop")))
            if message.get("usage"):
                merged = parse_usage({**_raw(self.usage), **{k: v for k, v in message["usage"].items() if v}})
                self.usage = self.usage.merge_max(merged)
                out.append(UsageUpdate(self.usage))
            return out
        return []


def _raw(usage: TokenUsage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens - usage.cached_input_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
    }


class AnthropicProvider:
    async def complete(self, request: Request, model: CatalogModel, options: Options) -> Response:
        payload = await transport.call_json(
            build(request, model, options, stream=False), transport.Timeouts.for_options(options)
        )
        with readable():
            return parse_response(payload)

    async def stream(self, request: Request, model: CatalogModel, options: Options) -> AsyncIterator[Event]:
        parser = EventParser()
        async for event, data in transport.stream_sse(
            build(request, model, options, stream=True), transport.Timeouts.for_options(options)
        ):
            with readable():
                items = parser.feed(event, data)
            for item in items:
                yield item
