"""UserStore: the link from a console user (Cognito ``sub``) to the account that owns money and limits."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.accounts import User
from empirio.store.accounts import AccountStore
from empirio.store.dynamo import call, cancellation_codes, from_item, is_transaction_cancelled, to_item


class UserStore:
    def __init__(self, client: Any, users_table: str, accounts: AccountStore) -> None:
        self._db = client
        self._users = users_table
        self._accounts = accounts

    def get(self, user_id: str) -> User | None:
        response = call(
            self._db.get_item, TableName=self._users, Key=to_item({"user_id": user_id}), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        plain = from_item(response["Item"])
        return User(plain["user_id"], plain["account_id"], plain.get("email", ""), plain.get("created_at", 0))

    def link(self, user_id: str, account_id: str, email: str) -> User:
        """Link a person to an existing account (operator tooling, the dev server's demo user); once only."""
        user = User(user_id, account_id, email, int(time.time()))
        item = {"user_id": user_id, "account_id": account_id, "email": email, "created_at": user.created_at}
        call(
            self._db.put_item,
            TableName=self._users,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(user_id)",
        )
        return user

    def ensure(self, user_id: str, email: str) -> User:
        """The user's link, creating the account (balance 0, default limits) and the link in ONE transaction the
        first time; concurrent or repeated calls (sign-up, then a first sign-in) end with exactly one account."""
        existing = self.get(user_id)
        if existing is not None:
            return existing
        account, items = self._accounts.creation_items(email, 0)
        user = User(user_id, account.account_id, email, int(time.time()))
        items.append(
            {
                "Put": {
                    "TableName": self._users,
                    "Item": to_item(
                        {
                            "user_id": user.user_id,
                            "account_id": user.account_id,
                            "email": email,
                            "created_at": user.created_at,
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(user_id)",
                }
            }
        )
        try:
            call(self._db.transact_write_items, TransactItems=items)
        except ClientError as error:
            if is_transaction_cancelled(error) and cancellation_codes(error)[-1] == "ConditionalCheckFailed":
                linked = self.get(user_id)  # another request linked this user first: use its account
                if linked is not None:
                    return linked
            raise
        return user
