"""HTTP routes of the chats family: list, create, read, change and delete saved playground chats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from empirio.context import get_context
from empirio.domain.accounts import Principal
from empirio.domain.chats import MAX_CHAT_BYTES, ChatBody, Column, Message, body_bytes, too_large_message
from empirio.domain.keys import Scope
from empirio.errors import PayloadTooLargeError
from empirio.web.auth import require_scope

router = APIRouter()
manage = Depends(require_scope(Scope.MANAGE))


class ChatPatch(BaseModel):
    """Fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=200)
    system: str | None = Field(default=None, max_length=100_000)
    columns: list[Column] | None = Field(default=None, max_length=3)
    messages: list[Message] | None = None


def _fits(body: ChatBody) -> ChatBody:
    size = body_bytes(body)
    if size > MAX_CHAT_BYTES:
        raise PayloadTooLargeError(too_large_message(size), param="messages", code="chat_too_large")
    return body


def _view(chat: dict[str, Any]) -> dict[str, Any]:
    chat = dict(chat)
    chat.pop("account_id", None)
    return {"id": chat.pop("chat_id"), "object": "chat", **chat}


@router.get("/v1/chats")
def list_chats(
    limit: int = Query(default=20, ge=1, le=100), after: str | None = None, principal: Principal = manage
) -> dict[str, Any]:
    """Newest first; ``after`` is the last id of the previous page."""
    chats, more = get_context().chats.page(principal.account_id, limit, after)
    data = [_view(c) for c in chats]
    account = get_context().accounts.require(principal.account_id)
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": more,
        "count": account.chat_count,
        "limit": account.limits.max_chats,
    }


@router.post("/v1/chats", status_code=201)
def create_chat(body: ChatBody, principal: Principal = manage) -> dict[str, Any]:
    return _view(get_context().chats.create(principal.account_id, _fits(body)))


@router.get("/v1/chats/{chat_id}")
def get_chat(chat_id: str, principal: Principal = manage) -> dict[str, Any]:
    return _view(get_context().chats.get(principal.account_id, chat_id))


@router.patch("/v1/chats/{chat_id}")
def patch_chat(chat_id: str, patch: ChatPatch, principal: Principal = manage) -> dict[str, Any]:
    chats = get_context().chats
    current = chats.get(principal.account_id, chat_id)
    merged = ChatBody.model_validate(
        {
            **{k: current[k] for k in ("title", "system", "columns", "messages") if k in current},
            **patch.model_dump(exclude_unset=True),
        }
    )
    return _view(chats.replace(principal.account_id, chat_id, _fits(merged)))


@router.delete("/v1/chats/{chat_id}")
def delete_chat(chat_id: str, principal: Principal = manage) -> dict[str, Any]:
    get_context().chats.delete(principal.account_id, chat_id)
    return {"id": chat_id, "object": "chat", "deleted": True}
