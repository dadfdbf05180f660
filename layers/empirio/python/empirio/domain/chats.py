"""Saved playground chats: their shape, ids that sort newest first, and the size rule (pure)."""

from __future__ import annotations

import json
import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# A DynamoDB item holds 400 KB; a chat's body stays well under it so the item's other attributes always fit.
MAX_CHAT_BYTES = 350_000
MAX_COLUMNS = 3


class Column(BaseModel):
    """One model answering in the playground, with the parameters it is called with."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    """A turn: the person's (``user``) or a column's answer (``assistant``, with what it cost and how fast, or the
    error it ended with: a saved chat reopens showing it, and the next request leaves that turn out)."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]
    column: int | None = Field(default=None, ge=0, lt=MAX_COLUMNS)
    model: str | None = None
    request_id: str | None = None
    usage: dict[str, int] | None = None
    cost: str | None = None
    latency_ms: int | None = None
    ttft_ms: int | None = None
    finish_reason: str | None = None
    error: str | None = Field(default=None, max_length=2000)
    error_status: int | None = Field(default=None, ge=400, le=599)


class ChatBody(BaseModel):
    """What a chat holds besides its id and times (every field optional on PATCH)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="New chat", max_length=200)
    system: str = Field(default="", max_length=100_000)
    columns: list[Column] = Field(default_factory=list, max_length=MAX_COLUMNS)
    messages: list[Message] = Field(default_factory=list)


def new_chat_id(now_ms: int) -> str:
    """``chat_`` + the creation time in inverted milliseconds (newest sorts first) + randomness."""
    return f"chat_{10**13 - now_ms:013d}{secrets.token_hex(6)}"


def body_bytes(body: ChatBody) -> int:
    return len(json.dumps(body.model_dump(exclude_none=True), separators=(",", ":")).encode())


def too_large_message(size: int) -> str:
    return (
        f"This chat is {size:,} bytes; a saved chat holds at most {MAX_CHAT_BYTES:,} bytes. Start a new chat or "
        "remove large attachments; nothing was saved."
    )
