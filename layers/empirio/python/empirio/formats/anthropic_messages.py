"""Anthropic Messages ⇄ canonical: request parsing (Claude Code's extras accepted), responses, event streams.

Anthropic counts ``input_tokens`` without cache reads; canonical input includes them (OpenAI's convention).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from empirio.domain.canonical import (
    Block,
    Document,
    Event,
    Finish,
    Image,
    Message,
    Request,
    Response,
    Role,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    TokenUsage,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolChoice,
    ToolResult,
)
from empirio.domain.limits import BucketState
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import (
    check,
    cost_json,
    image_from_url,
    models,
    number,
    optional,
    positive_int,
    require,
    stop_list,
)
from empirio.formats.sse import sse

ENDPOINT = "/v1/messages"
HEARTBEAT = sse({"type": "ping"}, "ping")  # Anthropic streams keep alive with ping events
STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
    "error": "end_turn",
}


def _image(source: dict[str, Any], param: str) -> Image:
    if source.get("type") == "base64":
        return Image(data=require(source, "data", str, f"{param}."), media_type=source.get("media_type"))
    if source.get("type") == "url":
        return image_from_url(require(source, "url", str, f"{param}."), f"{param}.url")
    raise InvalidRequestError(
        f"Invalid value for '{param}.type'.", param=f"{param}.type", code="invalid_value"
    )


def _blocks(value: Any, param: str) -> tuple[Block, ...]:
    if isinstance(value, str):
        return (Text(value),) if value else ()
    blocks: list[Block] = []
    for i, raw in enumerate(check(value, param, list)):
        p = f"{param}[{i}]"
        check(raw, p, dict)
        kind = raw.get("type")
        if kind == "text":
            blocks.append(Text(require(raw, "text", str, f"{p}.")))
        elif kind == "image":
            blocks.append(_image(require(raw, "source", dict, f"{p}."), f"{p}.source"))
        elif kind == "document":
            source = require(raw, "source", dict, f"{p}.")
            if source.get("type") != "base64" or source.get("media_type") != "application/pdf":
                raise InvalidRequestError(
                    f"'{p}.source' must be a base64 PDF (type 'base64', media_type 'application/pdf').",
                    param=f"{p}.source",
                    code="invalid_value",
                )
            title = raw.get("title") if isinstance(raw.get("title"), str) else None
            blocks.append(Document(data=require(source, "data", str, f"{p}.source."), filename=title))
        elif kind == "tool_use":
            blocks.append(
                ToolCall(
                    require(raw, "id", str, f"{p}."),
                    require(raw, "name", str, f"{p}."),
                    json.dumps(raw.get("input") or {}),
                )
            )
        elif kind == "tool_result":
            inner = raw.get("content")
            content = _blocks(inner, f"{p}.content") if inner is not None else ()
            blocks.append(
                ToolResult(
                    require(raw, "tool_use_id", str, f"{p}."),
                    tuple(b for b in content if isinstance(b, Text | Image)),
                    bool(raw.get("is_error")),
                )
            )
        elif kind == "thinking":
            blocks.append(Thinking(raw.get("thinking") or "", raw.get("signature")))
        elif (
            kind == "document" and isinstance(raw.get("source"), dict) and raw["source"].get("type") == "text"
        ):
            blocks.append(Text(raw["source"].get("data") or ""))
        # redacted_thinking, server tool blocks, search results and other documents: dropped, not refused.
    return tuple(blocks)


def _tools(body: dict[str, Any]) -> tuple[Tool, ...]:
    tools = []
    for i, raw in enumerate(optional(body, "tools", list) or []):
        check(raw, f"tools[{i}]", dict)
        if "input_schema" not in raw:
            continue  # server tools (web_search_…, bash_…) have no canonical form: dropped
        tools.append(
            Tool(
                require(raw, "name", str, f"tools[{i}]."),
                raw.get("description") or "",
                raw.get("input_schema") or {"type": "object", "properties": {}},
            )
        )
    return tuple(tools)


def _tool_choice(value: Any) -> ToolChoice | None:
    if not isinstance(value, dict):
        return None
    kind = value.get("type")
    if kind == "tool" and value.get("name"):
        return ToolChoice("tool", value["name"])
    return {"auto": ToolChoice("auto"), "any": ToolChoice("required"), "none": ToolChoice("none")}.get(
        kind or ""
    )


def parse_request(body: dict[str, Any]) -> Request:
    """A Messages body as canonical. ``system`` may be text or blocks; a ``system`` role inside ``messages``
    (sent by some clients) is accepted; thinking maps to a budget; unknown fields are ignored."""
    messages: list[Message] = []
    system = body.get("system")
    if system is not None:
        messages.append(Message("system", _blocks(system, "system")))
    raw_messages = require(body, "messages", list)
    for i, raw in enumerate(raw_messages):
        param = f"messages[{i}]"
        check(raw, param, dict)
        role: Role = require(raw, "role", str, f"{param}.")
        if role not in {"user", "assistant", "system"}:
            raise InvalidRequestError(f"Invalid value for '{param}.role': {role!r}.", param=f"{param}.role")
        blocks = _blocks(raw.get("content", ""), f"{param}.content")
        results = tuple(b for b in blocks if isinstance(b, ToolResult))
        if results:  # tool results travel in user turns on Anthropic; canonical gives them their own role
            messages.append(Message("tool", results))
            blocks = tuple(b for b in blocks if not isinstance(b, ToolResult))
            if not blocks:
                continue
        messages.append(Message(role, blocks))
    thinking: dict[str, Any] = body["thinking"] if isinstance(body.get("thinking"), dict) else {}
    budget = thinking.get("budget_tokens") if thinking.get("type") == "enabled" else None
    effort = "medium" if thinking.get("type") == "adaptive" else None
    return Request(
        **models(body),
        messages=tuple(messages),
        max_tokens=positive_int(body, "max_tokens"),
        temperature=number(body, "temperature", 0, 1),
        top_p=number(body, "top_p", 0, 1),
        stop=stop_list(body.get("stop_sequences"), "stop_sequences"),
        tools=_tools(body),
        tool_choice=_tool_choice(body.get("tool_choice")),
        thinking_budget=budget if isinstance(budget, int) else None,
        reasoning_effort=effort,
        stream=bool(optional(body, "stream", bool)),
    )


def usage_json(usage: TokenUsage, cost: Cost) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens - usage.cached_input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_input_tokens,
        "output_tokens": usage.output_tokens,
        **cost_json(cost),
    }


def _block_json(block: Block) -> dict[str, Any] | None:
    if isinstance(block, Text):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolCall):
        arguments = block.arguments_object()
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": arguments}
    if isinstance(block, Thinking):
        return {"type": "thinking", "thinking": block.text, "signature": block.signature or ""}
    return None


def render_response(response: Response, *, request_id: str, model: str, cost: Cost) -> dict[str, Any]:
    content = [j for b in response.content if (j := _block_json(b)) is not None]
    return {
        "id": f"msg_{request_id.removeprefix('req_')}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP_REASONS[response.finish_reason],
        "stop_sequence": None,
        "usage": usage_json(response.usage, cost),
    }


@dataclass
class StreamRenderer:
    """Canonical events → message_start, content_block_start/_delta/_stop, message_delta, message_stop (+ ping)."""

    request_id: str
    model: str
    index: int = -1
    open_kind: str | None = None
    tool_blocks: dict[int, int] = field(default_factory=dict)  # tool call index → content block index
    finish: str = "end_turn"

    def start(self) -> list[bytes]:
        message: dict[str, Any] = {
            "id": f"msg_{self.request_id.removeprefix('req_')}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0},
        }
        return [sse({"type": "message_start", "message": message}, "message_start"), HEARTBEAT]

    def _open(self, kind: str, block: dict[str, Any]) -> list[bytes]:
        out = self._close()
        self.index += 1
        self.open_kind = kind
        out.append(
            sse(
                {"type": "content_block_start", "index": self.index, "content_block": block},
                "content_block_start",
            )
        )
        return out

    def _close(self) -> list[bytes]:
        if self.open_kind is None:
            return []
        self.open_kind = None
        return [sse({"type": "content_block_stop", "index": self.index}, "content_block_stop")]

    def _delta(self, delta: dict[str, Any]) -> bytes:
        return sse(
            {"type": "content_block_delta", "index": self.index, "delta": delta}, "content_block_delta"
        )

    def event(self, event: Event) -> list[bytes]:
        if isinstance(event, TextDelta):
            out = [] if self.open_kind == "text" else self._open("text", {"type": "text", "text": ""})
            return [*out, self._delta({"type": "text_delta", "text": event.text})]
        if isinstance(event, ThinkingDelta):
            out = (
                []
                if self.open_kind == "thinking"
                else self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
            )
            if event.text:
                out.append(self._delta({"type": "thinking_delta", "thinking": event.text}))
            if event.signature:
                out.append(self._delta({"type": "signature_delta", "signature": event.signature}))
            return out
        if isinstance(event, ToolCallStart):
            out = self._open("tool", {"type": "tool_use", "id": event.id, "name": event.name, "input": {}})
            self.tool_blocks[event.index] = self.index
            return out
        if isinstance(event, ToolCallDelta):
            if self.tool_blocks.get(event.index) != self.index or self.open_kind != "tool":
                return []  # interleaved argument deltas of an earlier call cannot be re-opened on Anthropic
            return [self._delta({"type": "input_json_delta", "partial_json": event.arguments})]
        if isinstance(event, Finish):
            self.finish = STOP_REASONS[event.reason]
        return []

    def end(self, usage: TokenUsage, cost: Cost) -> list[bytes]:
        return [
            *self._close(),
            sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self.finish, "stop_sequence": None},
                    "usage": usage_json(usage, cost),
                },
                "message_delta",
            ),
            sse({"type": "message_stop"}, "message_stop"),
        ]

    def error(self, message: str) -> list[bytes]:
        return [sse({"type": "error", "error": {"type": "api_error", "message": message}}, "error")]


def rate_limit_headers(requests: BucketState, tokens: BucketState, now: float) -> dict[str, str]:
    """Anthropic's anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset} headers."""

    def reset(state: BucketState) -> str:
        return datetime.fromtimestamp(now + state.reset_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "anthropic-ratelimit-requests-limit": str(requests.limit),
        "anthropic-ratelimit-requests-remaining": str(requests.remaining),
        "anthropic-ratelimit-requests-reset": reset(requests),
        "anthropic-ratelimit-tokens-limit": str(tokens.limit),
        "anthropic-ratelimit-tokens-remaining": str(tokens.remaining),
        "anthropic-ratelimit-tokens-reset": reset(tokens),
    }
