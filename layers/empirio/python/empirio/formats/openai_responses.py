"""OpenAI Responses ⇄ canonical: input items, output items, and the typed stream events the SDK parses.

Accepts what Codex CLI sends: ``developer`` items with ids, ``store: false``, ``include``, ``reasoning``,
``prompt_cache_key``, ``client_metadata``, and tools of type ``function``, ``namespace`` and ``web_search``
(hosted tools no upstream here can run are dropped). We keep no server-side state, so ``previous_response_id``
is refused with a clear message.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from empirio.domain.canonical import (
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
)
from empirio.formats.openai_chat import HEARTBEAT as HEARTBEAT  # the same SSE framing and headers as Chat
from empirio.formats.openai_chat import rate_limit_headers as rate_limit_headers
from empirio.formats.sse import sse

ENDPOINT = "/v1/responses"


def _parts(value: Any, param: str) -> tuple[Block, ...]:
    if isinstance(value, str):
        return (Text(value),) if value else ()
    blocks: list[Block] = []
    for i, part in enumerate(check(value, param, list)):
        p = f"{param}[{i}]"
        check(part, p, dict)
        kind = part.get("type")
        if kind in {"input_text", "output_text", "text"}:
            blocks.append(Text(require(part, "text", str, f"{p}.")))
        elif kind == "input_image" and isinstance(part.get("image_url"), str):
            blocks.append(image_from_url(part["image_url"], f"{p}.image_url"))
        elif kind == "refusal":
            blocks.append(Text(part.get("refusal") or ""))
        elif kind == "input_file":
            if not isinstance(part.get("file_data"), str):
                raise InvalidRequestError(
                    f"'{p}.file_data' is required: files are sent inline (file ids and URLs are not fetched).",
                    param=f"{p}.file_data",
                )
            name = part.get("filename") if isinstance(part.get("filename"), str) else None
            blocks.append(document_from_data_url(part["file_data"], f"{p}.file_data", name))
    return tuple(blocks)


def _items(value: Any) -> list[Message]:
    if isinstance(value, str):
        return [Message("user", (Text(value),))]
    messages: list[Message] = []
    for i, item in enumerate(check(value, "input", list)):
        p = f"input[{i}]"
        check(item, p, dict)
        kind = item.get("type", "message")
        if kind == "message":
            role = require(item, "role", str, f"{p}.")
            canonical = {
                "developer": "system",
                "system": "system",
                "user": "user",
                "assistant": "assistant",
            }.get(role)
            if canonical is None:
                raise InvalidRequestError(f"Invalid value for '{p}.role': {role!r}.", param=f"{p}.role")
            messages.append(Message(canonical, _parts(item.get("content", ""), f"{p}.content")))  # type: ignore[arg-type]
        elif kind == "function_call":
            call = ToolCall(
                require(item, "call_id", str, f"{p}."),
                require(item, "name", str, f"{p}."),
                item.get("arguments") or "{}",
            )
            if messages and messages[-1].role == "assistant":
                messages[-1] = Message("assistant", (*messages[-1].content, call))
            else:
                messages.append(Message("assistant", (call,)))
        elif kind == "function_call_output":
            output = item.get("output", "")
            content = _parts(output, f"{p}.output") if not isinstance(output, str) else (Text(output),)
            messages.append(
                Message(
                    "tool",
                    (
                        ToolResult(
                            require(item, "call_id", str, f"{p}."),
                            tuple(b for b in content if isinstance(b, Text | Image)),
                        ),
                    ),
                )
            )
        elif kind == "reasoning":
            summary = "".join(s.get("text", "") for s in item.get("summary") or [] if isinstance(s, dict))
            if summary:
                messages.append(Message("assistant", (Thinking(summary),)))
        # web_search_call, local_shell_call and other hosted-tool items: dropped.
    return messages


def _function_tool(raw: dict[str, Any], param: str) -> Tool:
    return Tool(
        require(raw, "name", str, f"{param}."),
        raw.get("description") or "",
        raw.get("parameters") or {"type": "object", "properties": {}},
    )


def _tools(body: dict[str, Any]) -> tuple[Tool, ...]:
    tools: list[Tool] = []
    for i, raw in enumerate(optional(body, "tools", list) or []):
        param = f"tools[{i}]"
        check(raw, param, dict)
        if raw.get("type") == "function":
            tools.append(_function_tool(raw, param))
        elif raw.get("type") == "namespace":  # a named group of functions (Codex): flattened
            for j, inner in enumerate(raw.get("tools") or []):
                if isinstance(inner, dict) and inner.get("type", "function") == "function":
                    tools.append(_function_tool(inner, f"{param}.tools[{j}]"))
    return tuple(tools)


def _tool_choice(value: Any) -> ToolChoice | None:
    if value in ("auto", "none", "required"):
        return ToolChoice(value)
    if isinstance(value, dict) and value.get("type") == "function" and value.get("name"):
        return ToolChoice("tool", value["name"])
    return None


def _format(body: dict[str, Any]) -> ResponseFormat | None:
    text = body.get("text")
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        return ResponseFormat(
            "json_schema",
            fmt.get("name") or "response",
            require(fmt, "schema", dict, "text.format."),
            bool(fmt.get("strict")),
        )
    return ResponseFormat("json_object") if fmt.get("type") == "json_object" else None


def parse_request(body: dict[str, Any]) -> Request:
    if body.get("previous_response_id"):
        raise InvalidRequestError(
            "previous_response_id is not supported: responses are not stored; send the full "
            "conversation in 'input'.",
            param="previous_response_id",
        )
    messages = _items(require(body, "input", (str, list)))
    instructions = optional(body, "instructions", str)
    if instructions:
        messages.insert(0, Message("system", (Text(instructions),)))
    reasoning: dict[str, Any] = body["reasoning"] if isinstance(body.get("reasoning"), dict) else {}
    return Request(
        **models(body),
        messages=tuple(messages),
        max_tokens=positive_int(body, "max_output_tokens"),
        temperature=number(body, "temperature", 0, 2),
        top_p=number(body, "top_p", 0, 1),
        tools=_tools(body),
        tool_choice=_tool_choice(body.get("tool_choice")),
        response_format=_format(body),
        reasoning_effort=reasoning.get("effort") if isinstance(reasoning.get("effort"), str) else None,
        stream=bool(optional(body, "stream", bool)),
        user=body.get("user") if isinstance(body.get("user"), str) else None,
    )


def usage_json(usage: TokenUsage, cost: Cost) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.input_tokens + usage.output_tokens,
        **cost_json(cost),
    }


def _message_item(item_id: str, text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]
        if status == "completed"
        else [],
    }


def _call_item(item_id: str, call: ToolCall, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments if status == "completed" else "",
        "status": status,
    }


def _envelope(
    response_id: str,
    model: str,
    created: int,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "model": model,
        "output": output,
        "usage": usage,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "parallel_tool_calls": True,
        "temperature": None,
        "top_p": None,
        "tools": [],
        "tool_choice": "auto",
        "text": {"format": {"type": "text"}},
        "reasoning": {"effort": None},
    }


def render_response(response: Response, *, request_id: str, model: str, cost: Cost) -> dict[str, Any]:
    rid = request_id.removeprefix("req_")
    output: list[dict[str, Any]] = []
    for i, block in enumerate(response.content):
        if isinstance(block, Thinking):
            output.append(
                {
                    "type": "reasoning",
                    "id": f"rs_{rid}_{i}",
                    "summary": [{"type": "summary_text", "text": block.text}],
                }
            )
        elif isinstance(block, Text):
            output.append(_message_item(f"msg_{rid}_{i}", block.text))
        elif isinstance(block, ToolCall):
            output.append(_call_item(f"fc_{rid}_{i}", block))
    status = "incomplete" if response.finish_reason == "length" else "completed"
    body = _envelope(f"resp_{rid}", model, int(time.time()), status, output, usage_json(response.usage, cost))
    if status == "incomplete":
        body["incomplete_details"] = {"reason": "max_output_tokens"}
    return body


@dataclass
class StreamRenderer:
    """Canonical events → response.created … response.output_text.delta … response.completed."""

    request_id: str
    model: str
    created: int = field(default_factory=lambda: int(time.time()))
    sequence: int = 0
    output: list[dict[str, Any]] = field(default_factory=list)
    open_item: dict[str, Any] | None = None
    text: list[str] = field(default_factory=list)
    calls: dict[int, int] = field(default_factory=dict)  # tool call index → output index
    finish: str = "stop"

    @property
    def response_id(self) -> str:
        return f"resp_{self.request_id.removeprefix('req_')}"

    def _emit(self, kind: str, **payload: Any) -> bytes:
        data = {"type": kind, "sequence_number": self.sequence, **payload}
        self.sequence += 1
        return sse(data, kind)

    def _envelope(self, status: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        return _envelope(self.response_id, self.model, self.created, status, list(self.output), usage)

    def start(self) -> list[bytes]:
        return [
            self._emit("response.created", response=self._envelope("in_progress")),
            self._emit("response.in_progress", response=self._envelope("in_progress")),
        ]

    def _close(self) -> list[bytes]:
        item, self.open_item = self.open_item, None
        if item is None:
            return []
        index = self.output.index(item)
        if item["type"] == "message":
            text = "".join(self.text)
            part = {"type": "output_text", "text": text, "annotations": []}
            item.update(_message_item(item["id"], text))
            return [
                self._emit(
                    "response.output_text.done",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    text=text,
                ),
                self._emit(
                    "response.content_part.done",
                    item_id=item["id"],
                    output_index=index,
                    content_index=0,
                    part=part,
                ),
                self._emit("response.output_item.done", output_index=index, item=item),
            ]
        item["status"] = "completed"
        return [
            self._emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
            ),
            self._emit("response.output_item.done", output_index=index, item=item),
        ]

    def event(self, event: Event) -> list[bytes]:
        rid = self.request_id.removeprefix("req_")
        if isinstance(event, TextDelta):
            out: list[bytes] = []
            if self.open_item is None or self.open_item["type"] != "message":
                out += self._close()
                self.text = []
                item = _message_item(f"msg_{rid}_{len(self.output)}", "", status="in_progress")
                self.output.append(item)
                self.open_item = item
                index = len(self.output) - 1
                out += [
                    self._emit("response.output_item.added", output_index=index, item=dict(item)),
                    self._emit(
                        "response.content_part.added",
                        item_id=item["id"],
                        output_index=index,
                        content_index=0,
                        part={"type": "output_text", "text": "", "annotations": []},
                    ),
                ]
            self.text.append(event.text)
            return [
                *out,
                self._emit(
                    "response.output_text.delta",
                    item_id=self.open_item["id"],
                    output_index=self.output.index(self.open_item),
                    content_index=0,
                    delta=event.text,
                ),
            ]
        if isinstance(event, ToolCallStart):
            out = self._close()
            item = _call_item(
                f"fc_{rid}_{len(self.output)}", ToolCall(event.id, event.name, ""), "in_progress"
            )
            self.output.append(item)
            self.open_item = item
            self.calls[event.index] = len(self.output) - 1
            return [
                *out,
                self._emit("response.output_item.added", output_index=len(self.output) - 1, item=dict(item)),
            ]
        if isinstance(event, ToolCallDelta) and event.index in self.calls:
            item = self.output[self.calls[event.index]]
            item["arguments"] += event.arguments
            return [
                self._emit(
                    "response.function_call_arguments.delta",
                    item_id=item["id"],
                    output_index=self.calls[event.index],
                    delta=event.arguments,
                )
            ]
        if isinstance(event, ThinkingDelta):
            return []  # reasoning text is not streamed to Responses clients (no summary was requested)
        if isinstance(event, Finish):
            self.finish = event.reason
        return []

    def end(self, usage: TokenUsage, cost: Cost) -> list[bytes]:
        out = self._close()
        status = "incomplete" if self.finish == "length" else "completed"
        final = self._envelope(status, usage_json(usage, cost))
        if status == "incomplete":
            final["incomplete_details"] = {"reason": "max_output_tokens"}
        # Codex and the SDK wait for response.completed; an incomplete answer still ends with it, marked so.
        return [*out, self._emit("response.completed", response=final)]

    def error(self, message: str) -> list[bytes]:
        failed = self._envelope("failed")
        failed["error"] = {"code": "server_error", "message": message}
        return [self._emit("response.failed", response=failed)]
