"""Folding a stream of canonical events into a complete Response (for buffered answers and for usage)."""

from __future__ import annotations

from dataclasses import dataclass, field

from empirio.domain.canonical import (
    Block,
    Event,
    Finish,
    FinishReason,
    Response,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    UsageUpdate,
)
from empirio.domain.tokens import count_text


@dataclass
class Accumulator:
    text: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    signature: str | None = None
    calls: dict[int, list[str]] = field(default_factory=dict)  # index → [id, name, arguments...]
    finish: FinishReason | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    saw_usage: bool = False

    def feed(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self.text.append(event.text)
        elif isinstance(event, ThinkingDelta):
            self.thinking.append(event.text)
            self.signature = event.signature or self.signature
        elif isinstance(event, ToolCallStart):
            self.calls[event.index] = [event.id, event.name]
        elif isinstance(event, ToolCallDelta):
            self.calls.setdefault(event.index, ["", ""]).append(event.arguments)
        elif isinstance(event, Finish):
            self.finish = event.reason
        elif isinstance(event, UsageUpdate):
            self.usage = self.usage.merge_max(event.usage)
            self.saw_usage = True

    def generated_estimate(self) -> TokenUsage:
        """Usage when the upstream never reported it (a stream cut short): count what was generated."""
        generated = (
            "".join(self.text) + "".join(self.thinking) + "".join("".join(c[2:]) for c in self.calls.values())
        )
        return TokenUsage(
            self.usage.input_tokens,
            max(self.usage.output_tokens, count_text(generated)),
            self.usage.cached_input_tokens,
            self.usage.reasoning_tokens,
        )

    def response(self) -> Response:
        content: list[Block] = []
        if self.thinking:
            content.append(Thinking("".join(self.thinking), self.signature))
        if self.text:
            content.append(Text("".join(self.text)))
        for index in sorted(self.calls):
            call_id, name, *parts = self.calls[index]
            content.append(ToolCall(call_id, name, "".join(parts) or "{}"))
        finish = self.finish or ("tool_calls" if self.calls else "stop")
        return Response(tuple(content), finish, self.usage)
