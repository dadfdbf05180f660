"""The lean TransactWriteItems sends what botocore sends and reads answers as botocore reads them."""

import base64
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, HTTPClientError

from empirio.store.transact import Transactions

PARAMS: dict[str, Any] = {
    "TransactItems": [
        {
            "Update": {
                "TableName": "accounts",
                "Key": {"account_id": {"S": "acct_1"}},
                "UpdateExpression": "SET available = available - :a, held = held + :a",
                "ConditionExpression": "available >= :a AND #s <> :closed",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":a": {"N": "300"}, ":closed": {"S": "closed"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {
            "Put": {
                "TableName": "ledger",
                "Item": {
                    "account_id": {"S": "acct_1"},
                    "entry_id": {"S": "hold#req_é"},
                    "blob": {"B": b"\x00\xffbytes"},
                    "tags": {"SS": ["a", "b"]},
                    "nested": {"M": {"l": {"L": [{"N": "1"}, {"BOOL": True}, {"NULL": True}]}}},
                },
                "ConditionExpression": "attribute_not_exists(entry_id)",
            }
        },
    ],
    "ClientRequestToken": "3f0c6a0e-6c1e-5b9a-9d0e-3a2f6f7c1b2d",
}


class Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


RETRIES = 3  # botocore's max_attempts counts retries: up to 4 calls


def text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": RETRIES, "mode": "standard"}, parameter_validation=False),
    )


def answer(status: int, body: dict[str, Any], crc: bool = True) -> AWSResponse:
    raw = json.dumps(body).encode()
    headers = {"x-amzn-RequestId": "r1", "Content-Type": "application/x-amz-json-1.0"}
    if crc:
        headers["x-amz-crc32"] = str(zlib.crc32(raw) & 0xFFFFFFFF)
    return AWSResponse("https://dynamodb.eu-west-1.amazonaws.com/", status, headers, Raw(raw))


class Upstream:
    """A before-send hook: records each request, answers with the next scripted response."""

    def __init__(self, *answers: AWSResponse | Exception) -> None:
        self.answers, self.requests = list(answers), []  # type: ignore[var-annotated]

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.requests.append(request)
        next_answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(next_answer, Exception):
            raise next_answer
        return next_answer


def sent(make: Any, *answers: AWSResponse | Exception) -> tuple[Upstream, Any]:
    c = client()
    upstream = Upstream(*answers)
    c.meta.events.register("before-send.dynamodb.TransactWriteItems", upstream)
    try:
        result: Any = make(c)
    except Exception as error:  # the test compares what each path raised
        result = error
    return upstream, result


def test_the_request_is_botocores_request() -> None:
    ok = answer(200, {})
    theirs, _ = sent(lambda c: c.transact_write_items(**PARAMS), ok)
    ours, _ = sent(lambda c: Transactions(c).send(**PARAMS), ok)
    a, b = theirs.requests[0], ours.requests[0]
    assert (b.method, b.url) == (a.method, a.url)

    for header in ("X-Amz-Target", "Content-Type"):
        assert text(b.headers[header]) == text(a.headers[header])
    assert json.loads(b.body) == json.loads(a.body)
    assert json.loads(b.body)["TransactItems"][1]["Put"]["Item"]["blob"] == {
        "B": base64.b64encode(b"\x00\xffbytes").decode()
    }
    auth = text(b.headers["Authorization"])
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/dynamodb/aws4_request" in auth and "x-amz-target" in auth
    assert text(b.headers["X-Amz-Date"])[:8] == text(a.headers["X-Amz-Date"])[:8]


def test_a_cancelled_transaction_raises_what_botocore_raises() -> None:
    item = {"account_id": {"S": "acct_1"}, "blob": {"B": base64.b64encode(b"\x01").decode()}, "n": {"N": "5"}}
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons",
        "CancellationReasons": [
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": item},
            {"Code": "None"},
        ],
    }
    _, theirs = sent(lambda c: c.transact_write_items(**PARAMS), answer(400, body))
    _, ours = sent(lambda c: Transactions(c).send(**PARAMS), answer(400, body))
    assert type(ours) is type(theirs) and type(ours).__name__ == "TransactionCanceledException"
    assert isinstance(ours, ClientError)
    for key in ("Error", "CancellationReasons", "Message"):
        assert ours.response[key] == theirs.response[key]
    assert ours.response["CancellationReasons"][0]["Item"]["blob"] == {"B": b"\x01"}
    assert ours.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_throttling_is_retried_with_backoff_then_succeeds() -> None:
    waits: list[float] = []
    throttled = answer(
        400, {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"}
    )
    upstream, result = sent(
        lambda c: Transactions(c, sleep=waits.append).send(**PARAMS), throttled, throttled, answer(200, {})
    )
    assert len(upstream.requests) == 3 and result["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(waits) == 2 and 0 <= waits[0] <= 1 and 0 <= waits[1] <= 2


def test_retries_stop_at_the_clients_attempts_and_raise_the_last_error() -> None:
    waits: list[float] = []
    busy = answer(500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "x"})
    theirs, _ = sent(lambda c: c.transact_write_items(**PARAMS), busy)
    upstream, result = sent(lambda c: Transactions(c, sleep=waits.append).send(**PARAMS), busy)
    assert len(upstream.requests) == len(theirs.requests) == RETRIES + 1 and len(waits) == RETRIES
    assert all(w <= 0.025 * 2**i for i, w in enumerate(waits))  # not throttling: DynamoDB's 25 ms scale
    assert isinstance(result, ClientError) and result.response["Error"]["Code"] == "InternalServerError"


def test_a_condition_failure_is_not_retried() -> None:
    failed = answer(
        400,
        {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "no"},
    )
    upstream, result = sent(lambda c: Transactions(c, sleep=lambda _: None).send(**PARAMS), failed)
    assert len(upstream.requests) == 1
    assert type(result).__name__ == "ConditionalCheckFailedException"


@pytest.mark.parametrize(
    "broken", [answer(200, {}, crc=False), HTTPClientError(error="reset")], ids=["bad crc", "transport"]
)
def test_a_damaged_answer_or_a_transport_error_is_retried(broken: Any) -> None:
    if isinstance(broken, AWSResponse):
        broken.headers["x-amz-crc32"] = "1"
    upstream, result = sent(
        lambda c: Transactions(c, sleep=lambda _: None).send(**PARAMS), broken, answer(200, {})
    )
    assert len(upstream.requests) == 2 and result["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_call_events_fire_once_around_the_retries() -> None:
    c = client()
    seen: list[str] = []
    c.meta.events.register("before-call.dynamodb.TransactWriteItems", lambda **_: seen.append("before"))
    c.meta.events.register("after-call.dynamodb.TransactWriteItems", lambda **_: seen.append("after"))
    throttled = answer(400, {"__type": "ThrottlingException", "message": "slow"})
    c.meta.events.register("before-send.dynamodb.TransactWriteItems", Upstream(throttled, answer(200, {})))
    Transactions(c, sleep=lambda _: None).send(**PARAMS)
    assert seen == ["before", "after"]


@pytest.mark.parametrize(
    ("token", "endpoint"),
    [
        (None, None),
        ("session-token", None),
        (None, "http://127.0.0.1:5000"),
        (None, "https://ddb.example:443"),
    ],
    ids=["keys", "session", "local port", "default port"],
)
def test_the_signature_is_botocores_signature(
    token: str | None, endpoint: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC)
    c = boto3.client(
        "dynamodb",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        aws_session_token=token,
        endpoint_url=endpoint,
    )
    ours = Transactions(c).request(PARAMS, now=now)
    theirs = AWSRequest(
        method="POST",
        url=c.meta.endpoint_url + "/",
        data=ours.body,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.TransactWriteItems",
            "Content-Type": ours.headers["Content-Type"],
        },
    )
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: now.replace(tzinfo=None))
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret", token), "dynamodb", "eu-west-1").add_auth(theirs)
    for header in ("Authorization", "X-Amz-Date", *(["X-Amz-Security-Token"] if token else [])):
        assert text(ours.headers[header]) == text(theirs.headers[header])
    assert text(ours.headers["Content-Length"]) == str(len(ours.body))
    later = Transactions(c).request(PARAMS, now=now.replace(day=3))  # a new day: a new signing key
    assert later.headers["Authorization"] != ours.headers["Authorization"]
