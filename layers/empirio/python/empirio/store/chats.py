"""ChatStore: saved playground chats; the per-account cap moves in the same transaction as the chat itself."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.chats import ChatBody, new_chat_id
from empirio.errors import ChatLimitExceededError, NotFoundError
from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)
from empirio.store.slots import create_in_slot, free_slot, slot_usage

_SUMMARY = ("account_id", "chat_id", "title", "created_at", "updated_at", "message_count")


def _missing(chat_id: str) -> NotFoundError:
    return NotFoundError(f"No chat with id {chat_id!r}.", param="chat_id", code="chat_not_found")


def _chat(item: dict[str, Any]) -> dict[str, Any]:
    plain = from_item(item)
    return {**json.loads(plain.pop("body", "{}")), **plain}


class ChatStore:
    def __init__(self, client: Any, chats_table: str, accounts_table: str) -> None:
        self._db = client
        self._chats = chats_table
        self._accounts = accounts_table

    def create(self, account_id: str, body: ChatBody) -> dict[str, Any]:
        """A new chat, counted against ``max_chats`` under the condition ``chat_count < max_chats`` in the same
        transaction as its put: concurrent creations can never exceed the cap."""
        now_ms = int(time.time() * 1000)
        item = {
            "account_id": account_id,
            "chat_id": new_chat_id(now_ms),
            "title": body.title,
            "created_at": now_ms // 1000,
            "updated_at": now_ms // 1000,
            "message_count": len(body.messages),
            "body": json.dumps(body.model_dump(exclude_none=True, exclude={"title"}), separators=(",", ":")),
        }
        if not create_in_slot(
            self._db, self._accounts, account_id, "chat_count", "max_chats", self._chats, item, "chat_id"
        ):
            raise self._cap_error(account_id)
        return _chat(to_item(item))

    def _cap_error(self, account_id: str) -> Exception:
        count, cap = slot_usage(self._db, self._accounts, account_id, "chat_count", "max_chats") or (0, 0)
        return ChatLimitExceededError(
            f"Chat limit reached: the account has {count} of {cap} saved chats. Delete a chat "
            "(DELETE /v1/chats/{id}, or in the playground's list) to free a slot."
        )

    def get(self, account_id: str, chat_id: str) -> dict[str, Any]:
        response = call(
            self._db.get_item,
            TableName=self._chats,
            Key=to_item({"account_id": account_id, "chat_id": chat_id}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise _missing(chat_id)
        return _chat(response["Item"])

    def page(self, account_id: str, limit: int, after: str | None) -> tuple[list[dict[str, Any]], bool]:
        """Chats newest first (without their messages), after the chat id ``after``; and whether more remain."""
        kwargs: dict[str, Any] = {
            "TableName": self._chats,
            "KeyConditionExpression": "account_id = :a",
            "ExpressionAttributeValues": values(a=account_id),
            # Names, not words: DynamoDB reserves many common words in expressions.
            "ProjectionExpression": ", ".join(f"#p{i}" for i in range(len(_SUMMARY))),
            "ExpressionAttributeNames": {f"#p{i}": name for i, name in enumerate(_SUMMARY)},
            "Limit": limit + 1,
        }
        if after:
            kwargs["ExclusiveStartKey"] = to_item({"account_id": account_id, "chat_id": after})
        items = [from_item(i) for i in call(self._db.query, **kwargs).get("Items", [])]
        return items[:limit], len(items) > limit

    def replace(self, account_id: str, chat_id: str, body: ChatBody) -> dict[str, Any]:
        """Overwrite a chat's title, columns, system prompt and messages (it must exist)."""
        try:
            response = call(
                self._db.update_item,
                TableName=self._chats,
                Key=to_item({"account_id": account_id, "chat_id": chat_id}),
                UpdateExpression="SET #t = :t, #b = :b, #n = :n, #u = :u",
                ConditionExpression="attribute_exists(chat_id)",
                ExpressionAttributeNames={
                    "#t": "title",
                    "#b": "body",
                    "#n": "message_count",
                    "#u": "updated_at",
                },
                ExpressionAttributeValues=values(
                    t=body.title,
                    b=json.dumps(
                        body.model_dump(exclude_none=True, exclude={"title"}), separators=(",", ":")
                    ),
                    n=len(body.messages),
                    u=int(time.time()),
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise _missing(chat_id) from None
            raise
        return _chat(response["Attributes"])

    def delete(self, account_id: str, chat_id: str) -> None:
        """Delete a chat and free its slot, once: a second delete is a 404."""
        try:
            call(
                self._db.transact_write_items,
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._chats,
                            "Key": to_item({"account_id": account_id, "chat_id": chat_id}),
                            "ConditionExpression": "attribute_exists(chat_id)",
                        }
                    },
                    free_slot(self._accounts, account_id, "chat_count"),
                ],
            )
        except ClientError as error:
            if is_transaction_cancelled(error) and "ConditionalCheckFailed" in cancellation_codes(error):
                raise _missing(chat_id) from None
            raise
