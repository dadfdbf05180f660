"""Per-account capped counts (API keys, saved chats): the transaction items that take and free a slot, so a
resource and its count always move together and concurrent creations can never pass the cap."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from empirio.store.dynamo import (
    call,
    cancellation_codes,
    from_item,
    is_transaction_cancelled,
    to_item,
    values,
)


def take_slot(accounts_table: str, account_id: str, count: str, cap: str) -> dict[str, Any]:
    """``count + 1`` under the condition ``count < cap`` (and that the account exists)."""
    return {
        "Update": {
            "TableName": accounts_table,
            "Key": to_item({"account_id": account_id}),
            "UpdateExpression": f"SET {count} = {count} + :one",
            "ConditionExpression": f"attribute_exists(account_id) AND {count} < {cap}",
            "ExpressionAttributeValues": values(one=1),
        }
    }


def create_in_slot(
    client: Any,
    accounts_table: str,
    account_id: str,
    count: str,
    cap: str,
    table: str,
    item: dict[str, Any],
    key: str,
) -> bool:
    """Put ``item`` (new, by its ``key`` attribute) and take a slot in one transaction; False when the account is
    at its cap (or gone), so the caller can say how to free one."""
    try:
        call(
            client.transact_write_items,
            TransactItems=[
                take_slot(accounts_table, account_id, count, cap),
                {
                    "Put": {
                        "TableName": table,
                        "Item": to_item(item),
                        "ConditionExpression": f"attribute_not_exists({key})",
                    }
                },
            ],
        )
    except ClientError as error:
        if is_transaction_cancelled(error) and cancellation_codes(error)[0] == "ConditionalCheckFailed":
            return False
        raise
    return True


def free_slot(accounts_table: str, account_id: str, count: str) -> dict[str, Any]:
    """``count - 1``, never below zero."""
    return {
        "Update": {
            "TableName": accounts_table,
            "Key": to_item({"account_id": account_id}),
            "UpdateExpression": f"SET {count} = {count} - :one",
            "ConditionExpression": f"{count} >= :one",
            "ExpressionAttributeValues": values(one=1),
        }
    }


def slot_usage(
    client: Any, accounts_table: str, account_id: str, count: str, cap: str
) -> tuple[int, int] | None:
    """(count, cap) as stored now, or None when the account does not exist: what a refusal tells the caller."""
    response = call(
        client.get_item,
        TableName=accounts_table,
        Key=to_item({"account_id": account_id}),
        ConsistentRead=True,
    )
    if "Item" not in response:
        return None
    account = from_item(response["Item"])
    return int(account.get(count, 0)), int(account.get(cap, 0))
