"""Endpoint → client wire format (one line per format)."""

from __future__ import annotations

from types import ModuleType

from empirio.formats import anthropic_messages, openai_chat, openai_responses

FORMATS: dict[str, ModuleType] = {
    openai_chat.ENDPOINT: openai_chat,
    openai_responses.ENDPOINT: openai_responses,
    anthropic_messages.ENDPOINT: anthropic_messages,
}
