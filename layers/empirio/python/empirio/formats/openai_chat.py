"""OpenAI Chat Completions ⇄ canonical: request parsing, response rendering, chunk streaming."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from empirio.domain.canonical import (
    Audio,
    Block,
    Event,
    Finish,
    Image,
    Message,
    Request,
    Response,
    ResponseFormat,
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
from empirio.domain.limits import BucketState, openai_duration
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import (
    check,
    cost_json,
    document_from_data_url,
    image_from_url,
    models,
    number,
    optional,
    positive_int,
    require,
    stop_list,
)
from empirio.formats.sse import HEARTBEAT as SSE_COMMENT
from empirio.formats.sse import sse

ENDPOINT = "/v1/chat/completions"
HEARTBEAT = SSE_COMMENT  # an SSE comment keeps idle connections open


def _content(value: Any, param: str) -> tuple[Block, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (Text(value),) if value else ()
    blocks: list[Block] = []
    for i, part in enumerate(check(value, param, list)):
        p = f"{param}[{i}]"
        check(part, p, dict)
        kind = part.get("type")
        if kind == "text":
            blocks.append(Text(require(part, "text", str, f"{p}.")))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            blocks.append(image_from_url(check(url, f"{p}.image_url.url", str), f"{p}.image_url.url"))
        elif kind == "refusal":
            blocks.append(Text(part.get("refusal") or ""))
        elif kind == "file":
            file = check(part.get("file"), f"{p}.file", dict)
            if not isinstance(file.get("file_data"), str):
                raise InvalidRequestError(
                    f"'{p}.file.file_data' is required: files are sent inline (file ids need OpenAI's Files API).",
                    param=f"{p}.file.file_data",
                )
            name = file.get("filename") if isinstance(file.get("filename"), str) else None
            blocks.append(document_from_data_url(file["file_data"], f"{p}.file.file_data", name))
        elif kind == "input_audio":
            sound = check(part.get("input_audio"), f"{p}.input_audio", dict)
            blocks.append(
                Audio(
                    data=require(sound, "data", str, f"{p}.input_audio."),
                    format=require(sound, "format", str, f"{p}.input_audio."),
                )
            )
    return tuple(blocks)


def _message(raw: Any, i: int) -> Message:
    param = f"messages[{i}]"
    check(raw, param, dict)
    role = require(raw, "role", str, f"{param}.")
    if role in {"system", "developer"}:
        return Message("system", _content(raw.get("content"), f"{param}.content"))
    if role == "user":
        return Message("user", _content(raw.get("content"), f"{param}.content"))
    if role == "assistant":
        blocks = list(_content(raw.get("content"), f"{param}.content"))
        if isinstance(raw.get("reasoning_content"), str) and raw["reasoning_content"]:
            blocks.insert(0, Thinking(raw["reasoning_content"]))
        for j, call in enumerate(optional(raw, "tool_calls", list, f"{param}.") or []):
            cp = f"{param}.tool_calls[{j}]"
            fn = require(check(call, cp, dict), "function", dict, f"{cp}.")
            args = fn.get("arguments") or "{}"
            blocks.append(
                ToolCall(
                    str(call.get("id") or f"call_{i}_{j}"),
                    require(fn, "name", str, f"{cp}.function."),
                    args if isinstance(args, str) else json.dumps(args),
                )
            )
        return Message("assistant", tuple(blocks))
    if role in {"tool", "function"}:
        call_id = raw.get("tool_call_id") or raw.get("name") or ""
        content = _content(raw.get("content"), f"{param}.content")
        return Message(
            "tool", (ToolResult(str(call_id), tuple(b for b in content if isinstance(b, Text | Image))),)
        )
    raise InvalidRequestError(
        f"Invalid value for '{param}.role': {role!r}.", param=f"{param}.role", code="invalid_value"
    )


def _tools(body: dict[str, Any]) -> tuple[Tool, ...]:
    tools = []
    for i, raw in enumerate(optional(body, "tools", list) or []):
        param = f"tools[{i}]"
        check(raw, param, dict)
        if raw.get("type", "function") != "function":
            continue  # hosted tools (web_search, …) cannot be honoured by every upstream: dropped
        fn = require(raw, "function", dict, f"{param}.")
        tools.append(
            Tool(
                require(fn, "name", str, f"{param}.function."),
                fn.get("description") or "",
                fn.get("parameters") or {"type": "object", "properties": {}},
            )
        )
    return tuple(tools)


def _tool_choice(value: Any) -> ToolChoice | None:
    if value is None:
        return None
    if value in ("auto", "none", "required"):
        return ToolChoice(value)
    if isinstance(value, dict) and isinstance(value.get("function"), dict) and value["function"].get("name"):
        return ToolChoice("tool", value["function"]["name"])
    raise InvalidRequestError("Invalid value for 'tool_choice'.", param="tool_choice", code="invalid_value")


def _response_format(value: Any) -> ResponseFormat | None:
    if value is None:
        return None
    check(value, "response_format", dict)
    kind = value.get("type")
    if kind == "json_schema":
        spec = require(value, "json_schema", dict, "response_format.")
        return ResponseFormat(
            "json_schema",
            spec.get("name") or "response",
            require(spec, "schema", dict, "response_format.json_schema."),
            bool(spec.get("strict")),
        )
    if kind in ("text", "json_object"):
        return ResponseFormat(kind)
    raise InvalidRequestError(
        "Invalid value for 'response_format.type'.", param="response_format.type", code="invalid_value"
    )


def parse_request(body: dict[str, Any]) -> Request:
    """A Chat Completions body as canonical. Parameters no upstream can honour are dropped, not refused."""
    messages = require(body, "messages", list)
    if not messages:
        raise InvalidRequestError("'messages' must contain at least one message.", param="messages")
    n = optional(body, "n", int)
    if n not in (None, 1):
        raise InvalidRequestError("Only n=1 is supported.", param="n", code="invalid_value")
    return Request(
        **models(body),
        messages=tuple(_message(m, i) for i, m in enumerate(messages)),
        max_tokens=positive_int(body, "max_completion_tokens", "max_tokens"),
        temperature=number(body, "temperature", 0, 2),
        top_p=number(body, "top_p", 0, 1),
        stop=stop_list(body.get("stop"), "stop"),
        tools=_tools(body),
        tool_choice=_tool_choice(body.get("tool_choice")),
        response_format=_response_format(body.get("response_format")),
        reasoning_effort=optional(body, "reasoning_effort", str),
        stream=bool(optional(body, "stream", bool)),
        user=body.get("user") if isinstance(body.get("user"), str) else None,
    )


def usage_json(usage: TokenUsage, cost: Cost) -> dict[str, Any]:
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        **cost_json(cost),
    }


def render_response(response: Response, *, request_id: str, model: str, cost: Cost) -> dict[str, Any]:
    text = "".join(b.text for b in response.content if isinstance(b, Text))
    calls = [b for b in response.content if isinstance(b, ToolCall)]
    thinking = "".join(b.text for b in response.content if isinstance(b, Thinking))
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text or (None if calls else ""),
        "refusal": None,
    }
    if calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in calls
        ]
    if thinking:
        message["reasoning_content"] = thinking
    return {
        "id": f"chatcmpl-{request_id.removeprefix('req_')}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _finish(response.finish_reason),
                "logprobs": None,
            }
        ],
        "usage": usage_json(response.usage, cost),
    }


def _finish(reason: str) -> str:
    return "stop" if reason == "error" else reason


@dataclass
class StreamRenderer:
    """Canonical events → ``chat.completion.chunk`` SSE, ending with a usage chunk (empty choices) and [DONE]."""

    request_id: str
    model: str
    created: int = field(default_factory=lambda: int(time.time()))
    started: bool = False

    def _payload(self, delta: dict[str, Any] | None, finish: str | None = None) -> dict[str, Any]:
        choices = (
            [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]
        )
        return {
            "id": f"chatcmpl-{self.request_id.removeprefix('req_')}",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }

    def _chunk(self, delta: dict[str, Any] | None, finish: str | None = None) -> bytes:
        return sse(self._payload(delta, finish))

    def start(self) -> list[bytes]:
        self.started = True
        return [self._chunk({"role": "assistant", "content": ""})]

    def event(self, event: Event) -> list[bytes]:
        if isinstance(event, TextDelta):
            return [self._chunk({"content": event.text})]
        if isinstance(event, ThinkingDelta) and event.text:
            return [self._chunk({"reasoning_content": event.text})]
        if isinstance(event, ToolCallStart):
            return [
                self._chunk(
                    {
                        "tool_calls": [
                            {
                                "index": event.index,
                                "id": event.id,
                                "type": "function",
                                "function": {"name": event.name, "arguments": ""},
                            }
                        ]
                    }
                )
            ]
        if isinstance(event, ToolCallDelta):
            return [
                self._chunk(
                    {"tool_calls": [{"index": event.index, "function": {"arguments": event.arguments}}]}
                )
            ]
        if isinstance(event, Finish):
            return [self._chunk({}, _finish(event.reason))]
        return []

    def end(self, usage: TokenUsage, cost: Cost) -> list[bytes]:
        final = {**self._payload(None), "usage": usage_json(usage, cost)}
        return [sse(final), b"data: [DONE]\n\n"]

    def error(self, message: str) -> list[bytes]:
        return [
            sse({"error": {"message": message, "type": "api_error", "param": None, "code": "upstream_error"}})
        ]


def rate_limit_headers(requests: BucketState, tokens: BucketState, now: float) -> dict[str, str]:
    """OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} headers."""
    return {
        "x-ratelimit-limit-requests": str(requests.limit),
        "x-ratelimit-remaining-requests": str(requests.remaining),
        "x-ratelimit-reset-requests": openai_duration(requests.reset_seconds),
        "x-ratelimit-limit-tokens": str(tokens.limit),
        "x-ratelimit-remaining-tokens": str(tokens.remaining),
        "x-ratelimit-reset-tokens": openai_duration(tokens.reset_seconds),
    }
