"""Crashes between steps and injected DynamoDB faults never double or lose a debit.

Faults are injected at the AWS boundary through botocore's event hooks on the client: our code path runs as is.
"""

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError

from empirio.domain.pricing import Usage
from empirio.errors import ServiceUnavailableError
from empirio.services.metering import Meter, sweep
from empirio.store.ledger import LedgerStore
from tests.integration.conftest import Books


class FailAfterWrite:
    """The write reaches DynamoDB, then the answer is lost (a read timeout), ``times`` times."""

    def __init__(self, times: int = 1) -> None:
        self.times = times

    def __call__(self, **_: Any) -> None:
        if self.times > 0:
            self.times -= 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


class ErrorBeforeWrite:
    """DynamoDB answers with ``code`` instead of doing the call, ``times`` times."""

    def __init__(self, code: str, times: int = 1, reasons: list[dict[str, str]] | None = None) -> None:
        self.code, self.times, self.reasons = code, times, reasons

    def __call__(self, **_: Any) -> Any:
        if self.times <= 0:
            return None
        self.times -= 1
        body: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        if self.reasons is not None:
            body["CancellationReasons"] = self.reasons

        class _Http:
            status_code = 400
            headers: dict[str, str] = {}  # noqa: RUF012

        return _Http(), body


def test_a_lost_answer_to_the_admission_write_holds_once(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    aws.client.meta.events.register("after-call.dynamodb.TransactWriteItems", FailAfterWrite(1))
    admission = books.admit(prompt=100, max_tokens=100)
    assert books.account().held == admission.hold.amount == 300
    assert sum(e["kind"] == "hold" for e in books.entries()) == 1
    books.meter.settle(admission, Usage(100, 100))
    books.assert_books_balance()


def test_a_lost_answer_to_the_settle_write_charges_once(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=100, max_tokens=100)
    aws.client.meta.events.register("after-call.dynamodb.TransactWriteItems", FailAfterWrite(1))
    settled = books.meter.settle(admission, Usage(100, 50))
    assert settled.charged == 200 and settled.result.already
    assert books.account().charged == 200
    books.assert_books_balance()


def test_throttling_on_admission_is_503_and_moves_nothing(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    aws.client.meta.events.register(
        "before-call.dynamodb.TransactWriteItems", ErrorBeforeWrite("ThrottlingException", times=1)
    )
    with pytest.raises(ServiceUnavailableError):
        books.admit()
    assert books.account().available == 1_000_000 and books.entries()[1:] == []
    books.admit()  # the next attempt goes through
    books.assert_books_balance()


def test_a_transaction_conflict_is_retried_and_applies_once(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=100, max_tokens=100)
    conflict = [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}, {"Code": "None"}]
    aws.client.meta.events.register(
        "before-call.dynamodb.TransactWriteItems",
        ErrorBeforeWrite("TransactionCanceledException", times=2, reasons=conflict),
    )
    assert books.meter.settle(admission, Usage(100, 100)).result.settled
    assert books.account().charged == 300
    books.assert_books_balance()


def test_with_the_store_down_admission_is_503(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    down = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(connect_timeout=0.2, read_timeout=0.2, retries={"max_attempts": 1}),
    )
    settings = aws.settings
    ledger = LedgerStore(
        down, *(settings.table_name(t) for t in ("accounts", "ledger", "usage", "idempotency"))
    )
    with pytest.raises(ServiceUnavailableError) as error:
        Meter(ledger).admit(books.request())
    assert error.value.status == 503


def test_a_crash_after_the_hold_is_released_by_the_sweeper(make_books: Any, aws: Any) -> None:
    # Whether the function died before the upstream call or after it and before settle, what is stored is the
    # same: a pending hold. The customer is charged nothing and the books balance once the sweeper has run.
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=100, max_tokens=100)
    assert sweep(aws.ledger, now=int(time.time())).expired == 0  # not before its expiry
    assert sweep(aws.ledger, now=admission.hold.expires_at + 1).expired == 1
    account = books.account()
    assert account.available == 1_000_000 and account.held == 0 and account.charged == 0
    late = books.meter.settle(admission, Usage(100, 100))  # a late settle after the sweep charges nothing
    assert not late.result.settled and late.charged == 0
    assert books.account().charged == 0
    books.assert_books_balance()
