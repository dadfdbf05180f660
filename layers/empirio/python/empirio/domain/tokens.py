"""Token counts we can make without a vendor tokenizer: a prompt estimate for holds, a deterministic count for
the local model. The estimate leans high (≈3 bytes per token, plus per-message and per-image overheads), so the
hold usually covers the actual prompt; when it does not, the excess is the house's loss, never the customer's."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

from empirio.domain.canonical import Audio, Document, Image, Request, Text, Thinking, ToolCall, ToolResult

IMAGE_TOKENS = 1_600  # a 1024x1024 image is ~765 tokens on OpenAI and ~1,600 on Anthropic
MESSAGE_OVERHEAD = 4


def count_text(text: str) -> int:
    """Deterministic token count of a text (≈4 bytes a token), used by the local model."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def _estimate_text(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 3)


PAGE_TOKENS = 3_000  # a PDF page is read as its text and as an image: 1,500 to 3,000 tokens on Anthropic


def _decoded_size(data: str) -> int:
    return len(data) * 3 // 4


def document_tokens(document: Document) -> int:
    """An upper-leaning count for a PDF: its pages (``/Type /Page`` objects) at PAGE_TOKENS each, or a token for
    every three bytes, whichever is more."""
    try:
        raw = base64.b64decode(document.data, validate=False)
    except (ValueError, binascii.Error):
        return _decoded_size(document.data) // 3
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", raw))
    return max(len(raw) // 3, PAGE_TOKENS * max(1, pages))


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
            elif isinstance(block, Document):
                total += document_tokens(block)
            elif isinstance(block, Audio):
                total += _decoded_size(block.data) // 3 + MESSAGE_OVERHEAD
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
