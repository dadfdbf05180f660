"""The canonical request, response and stream events: our own model where 3 client formats meet N providers.

Every client format parses into these types and renders from them; every provider builds its upstream request
from them and parses its answers into them. Nothing here knows a vendor's field names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]


@dataclass(frozen=True)
class Text:
    text: str
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class Image:
    """An image by URL or inline base64 ``data`` with its media type."""

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    type: Literal["image"] = "image"


@dataclass(frozen=True)
class Document:
    """A document (a PDF) as inline base64 ``data``."""

    data: str
    media_type: str = "application/pdf"
    filename: str | None = None
    type: Literal["document"] = "document"


def image_data_url(image: Image) -> str:
    """The image's URL, or its inline data as a ``data:`` URL (RFC 2397)."""
    return image.url if image.url else f"data:{image.media_type or 'image/png'};base64,{image.data}"


def document_data_url(document: Document) -> str:
    """The document as a ``data:`` URL (RFC 2397)."""
    return f"data:{document.media_type};base64,{document.data}"


@dataclass(frozen=True)
class Audio:
    """Audio as inline base64 ``data`` in ``format`` (wav, mp3, ...)."""

    data: str
    format: str = "wav"
    type: Literal["audio"] = "audio"


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as the model produced it
    type: Literal["tool_call"] = "tool_call"

    def arguments_object(self) -> dict[str, Any]:
        """The arguments as an object (formats that carry objects, not text); invalid JSON is kept under _raw."""
        try:
            parsed = json.loads(self.arguments or "{}")
        except json.JSONDecodeError:
            return {"_raw": self.arguments}
        return parsed if isinstance(parsed, dict) else {"_value": parsed}


@dataclass(frozen=True)
class ToolResult:
    tool_call_id: str
    content: tuple[Text | Image, ...]
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True)
class Thinking:
    text: str
    signature: str | None = None
    type: Literal["thinking"] = "thinking"


Block = Text | Image | Document | Audio | ToolCall | ToolResult | Thinking


@dataclass(frozen=True)
class Message:
    role: Role
    content: tuple[Block, ...]

    def text(self) -> str:
        return "".join(b.text for b in self.content if isinstance(b, Text))


@dataclass(frozen=True)
class Tool:
    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None  # when mode == "tool"


@dataclass(frozen=True)
class ResponseFormat:
    type: Literal["text", "json_object", "json_schema"] = "text"
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool = False


@dataclass(frozen=True)
class Request:
    """What a client asked for, whatever format it spoke."""

    model: str
    messages: tuple[Message, ...]
    fallbacks: tuple[
        str, ...
    ] = ()  # models to try next, in order, when ``model`` fails before its first byte
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    response_format: ResponseFormat | None = None
    reasoning_effort: str | None = None  # low | medium | high (OpenAI) or from an Anthropic thinking budget
    thinking_budget: int | None = None
    stream: bool = False
    user: str | None = None

    def system_text(self) -> str:
        return "\n\n".join(m.text() for m in self.messages if m.role == "system")


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0

    def merge_max(self, other: TokenUsage) -> TokenUsage:
        """Fold cumulative stream usage: the max per field (Anthropic repeats and grows its counts)."""
        return TokenUsage(
            max(self.input_tokens, other.input_tokens),
            max(self.output_tokens, other.output_tokens),
            max(self.cached_input_tokens, other.cached_input_tokens),
            max(self.reasoning_tokens, other.reasoning_tokens),
        )


@dataclass(frozen=True)
class Response:
    """A complete answer from a provider."""

    content: tuple[Block, ...]
    finish_reason: FinishReason
    usage: TokenUsage
    upstream_id: str | None = None


# -- stream events (a provider's stream parsed; a client format's stream rendered) ------------------------------
@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    text: str = ""
    signature: str | None = None


@dataclass(frozen=True)
class ToolCallStart:
    index: int  # the tool call's position among this response's tool calls
    id: str
    name: str


@dataclass(frozen=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(frozen=True)
class Finish:
    reason: FinishReason


@dataclass(frozen=True)
class UsageUpdate:
    usage: TokenUsage


Event = TextDelta | ThinkingDelta | ToolCallStart | ToolCallDelta | Finish | UsageUpdate
