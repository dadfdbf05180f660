"""Token counts we can make without a vendor tokenizer: a prompt estimate for holds, a deterministic count for
the local model. The estimate leans high (≈3 bytes per token, plus per-message and per-image overheads), so the
hold usually covers the actual prompt; when it does not, the excess is the house's loss, never the customer's."""

from __future__ import annotations

import json
import math

from empirio.domain.canonical import Image, Request, Text, Thinking, ToolCall, ToolResult

IMAGE_TOKENS = 1_600  # a 1024x1024 image is ~765 tokens on OpenAI and ~1,600 on Anthropic
MESSAGE_OVERHEAD = 4


def count_text(text: str) -> int:
    """Deterministic token count of a text (≈4 bytes a token), used by the local model."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def _estimate_text(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 3)


def estimate_prompt_tokens(request: Request) -> int:
    """An upper-leaning estimate of a request's prompt tokens (messages, tools and schema)."""
    total = 0
    for message in request.messages:
        total += MESSAGE_OVERHEAD
        for block in message.content:
            if isinstance(block, Text | Thinking):
                total += _estimate_text(block.text)
            elif isinstance(block, Image):
                total += IMAGE_TOKENS
            elif isinstance(block, ToolCall):
                total += _estimate_text(block.name + block.arguments)
            elif isinstance(block, ToolResult):
                total += sum(
                    IMAGE_TOKENS if isinstance(b, Image) else _estimate_text(b.text) for b in block.content
                )
    for tool in request.tools:
        total += _estimate_text(tool.name + tool.description + json.dumps(tool.parameters))
    if request.response_format and request.response_format.schema:
        total += _estimate_text(json.dumps(request.response_format.schema))
    return total
