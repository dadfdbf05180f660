"""The DynamoDB client, item (de)serialisation and transaction-cancellation helpers shared by the stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from empirio.errors import ServiceUnavailableError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
T = TypeVar("T")

# Bounded timeouts and the SDK's adaptive retries for throttling; transactions are retried by us (see below).
# Parameters are built by our stores, never from input, and every shape is exercised by the tests: botocore's
# client-side validation of each call is skipped (DynamoDB validates them anyway).
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"max_attempts": 4, "mode": "standard"},
    tcp_keepalive=True,
    parameter_validation=False,
)


def make_client(region: str) -> Any:
    """A low-level DynamoDB client (created on first use by the stores, never at import)."""
    return boto3.client("dynamodb", region_name=region, config=_CONFIG)


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict to DynamoDB attribute values (None values are left out)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute values to plain Python (numbers become int when integral)."""
    out: dict[str, Any] = {}
    for key, value in item.items():
        plain = _deserializer.deserialize(value)
        if isinstance(plain, Decimal) and plain == plain.to_integral_value():
            plain = int(plain)
        out[key] = plain
    return out


def values(**kwargs: Any) -> dict[str, Any]:
    """ExpressionAttributeValues from keyword arguments: ``values(a=1)`` → ``{":a": {"N": "1"}}``."""
    return {f":{k}": _serializer.serialize(v) for k, v in kwargs.items()}


def cancellation_codes(error: ClientError) -> list[str]:
    """The per-item reason codes of a TransactionCanceledException ("None" for items that passed)."""
    reasons = error.response.get("CancellationReasons") or []
    return [str(r.get("Code", "None")) for r in reasons]


def is_transaction_cancelled(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def unavailable() -> ServiceUnavailableError:
    return ServiceUnavailableError("The account store is temporarily unavailable; retry the request.")


def call(fn: Callable[..., T], /, *, retry_transport: int = 0, **kwargs: Any) -> T:
    """Run one DynamoDB call; exhausted throttling and transport failures become a 503 for the client.

    Transactions cancelled only by ``TransactionConflict`` (another transaction on the same item) are retried
    a few times: they changed nothing. ``retry_transport`` retries lost answers (timeouts, resets) of writes
    whose conditions and ClientRequestToken make a second application impossible.
    """
    conflicts = transport = 0
    while True:
        try:
            return fn(**kwargs)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if is_transaction_cancelled(error):
                if set(cancellation_codes(error)) - {"None"} == {"TransactionConflict"} and conflicts < 5:
                    conflicts += 1
                    continue
                raise
            if code in _UNAVAILABLE:
                raise unavailable() from error
            raise
        except BotoCoreError as error:
            if transport < retry_transport:
                transport += 1
                continue
            raise unavailable() from error


_UNAVAILABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
