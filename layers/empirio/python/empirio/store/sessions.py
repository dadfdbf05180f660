"""SessionStore: console sessions by token hash. Read consistently, so a sign-out ends a session everywhere at once."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from botocore.exceptions import ClientError

from empirio.domain.sessions import Session, hash_token
from empirio.store.dynamo import call, from_item, to_item, values


class SessionStore:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def put(self, session: Session) -> None:
        item = {**asdict(session), "ttl": session.expires_at + 86400}
        call(
            self._db.put_item,
            TableName=self._table,
            Item=to_item(item),
            ConditionExpression="attribute_not_exists(session_hash)",
        )

    def resolve(self, token: str, now: int, idle: int) -> Session | None:
        """The live session behind a cookie value, its idle expiry extended; None when unknown or expired."""
        response = call(
            self._db.get_item,
            TableName=self._table,
            Key=to_item({"session_hash": hash_token(token)}),
            ConsistentRead=True,
        )
        if "Item" not in response:
            return None
        plain = from_item(response["Item"])
        for extra in ("ttl", "reveal", "reveal_until"):
            plain.pop(extra, None)
        session = Session(**plain)
        if not session.alive(now):
            return None
        extended = session.touched(now, idle)
        if extended is not None:
            try:
                # attribute_exists: a sign-out that lands between the read and this write must not be undone.
                call(
                    self._db.update_item,
                    TableName=self._table,
                    Key=to_item({"session_hash": session.session_hash}),
                    UpdateExpression="SET idle_until = :u",
                    ConditionExpression="attribute_exists(session_hash) AND idle_until < :u",
                    ExpressionAttributeValues=values(u=extended),
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        return session

    def stash_reveal(self, session_hash: str, sealed: str, until: int) -> None:
        """Keep one thing to show once on the session's next page (a new key, sealed by the caller); it replaces
        any earlier one not shown yet."""
        call(
            self._db.update_item,
            TableName=self._table,
            Key=to_item({"session_hash": session_hash}),
            UpdateExpression="SET reveal = :r, reveal_until = :u",
            ConditionExpression="attribute_exists(session_hash)",
            ExpressionAttributeValues=values(r=sealed, u=until),
        )

    def take_reveal(self, session_hash: str, now: int) -> str | None:
        """What was stashed, removed in the same write, so only one page load ever gets it (None when nothing
        is left or it is older than its ``until``)."""
        try:
            response = call(
                self._db.update_item,
                TableName=self._table,
                Key=to_item({"session_hash": session_hash}),
                UpdateExpression="REMOVE reveal, reveal_until",
                ConditionExpression="attribute_exists(reveal)",
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return None
        old = from_item(response.get("Attributes", {}))
        if int(old.get("reveal_until", 0)) < now:
            return None
        return str(old["reveal"])

    def revoke(self, token: str) -> None:
        call(self._db.delete_item, TableName=self._table, Key=to_item({"session_hash": hash_token(token)}))

    def revoke_all(self, email: str) -> int:
        """End every session of the person with this email (after a password reset); how many there were."""
        ended = 0
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "by_email",
            "KeyConditionExpression": "email = :e",
            "ExpressionAttributeValues": values(e=email),
            "ProjectionExpression": "session_hash",
        }
        while True:
            response = call(self._db.query, **kwargs)
            for item in response.get("Items", []):
                call(self._db.delete_item, TableName=self._table, Key={"session_hash": item["session_hash"]})
                ended += 1
            if "LastEvaluatedKey" not in response:
                return ended
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
