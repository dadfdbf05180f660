"""Idempotency-Key on metered requests: a replay returns the stored result and the ledger shows one charge."""

from typing import Any

import pytest

from empirio.domain.pricing import Usage
from empirio.errors import IdempotencyConflictError, IdempotencyInProgressError
from empirio.services.metering import IdempotentReplay
from tests.integration.conftest import Books

RESPONSE = {"status": 200, "content_type": "application/json", "body": '{"id": "chatcmpl-1"}'}


def test_a_replayed_key_returns_the_stored_result_and_charges_once(make_books: Any) -> None:
    books: Books = make_books()
    first = books.admit(idempotency_key="abc", fingerprint="body-1")
    books.meter.settle(first, Usage(100, 100), response=RESPONSE)
    with pytest.raises(IdempotentReplay) as replay:
        books.admit(idempotency_key="abc", fingerprint="body-1")
    assert replay.value.response == RESPONSE
    assert sum(e["kind"] == "hold" and e["status"] == "settled" for e in books.entries()) == 1
    assert books.account().charged == 300
    books.assert_books_balance()


def test_the_same_key_with_another_body_is_422(make_books: Any) -> None:
    books: Books = make_books()
    books.meter.settle(
        books.admit(idempotency_key="abc", fingerprint="body-1"), Usage(1, 1), response=RESPONSE
    )
    with pytest.raises(IdempotencyConflictError) as error:
        books.admit(idempotency_key="abc", fingerprint="body-2")
    assert error.value.status == 422


def test_a_key_still_in_progress_is_409(make_books: Any) -> None:
    books: Books = make_books()
    books.admit(idempotency_key="abc", fingerprint="body-1")
    with pytest.raises(IdempotencyInProgressError) as error:
        books.admit(idempotency_key="abc", fingerprint="body-1")
    assert error.value.status == 409 and error.value.headers["retry-after"]
    assert sum(e["kind"] == "hold" for e in books.entries()) == 1


def test_a_failed_request_frees_its_key_for_a_retry(make_books: Any) -> None:
    books: Books = make_books()
    books.meter.void(books.admit(idempotency_key="abc", fingerprint="body-1"))
    retry = books.admit(idempotency_key="abc", fingerprint="body-1")
    books.meter.settle(retry, Usage(1, 1), response=RESPONSE)
    assert books.account().charged == 3  # one input and one output token, charged once
    books.assert_books_balance()


def test_keys_are_per_account(make_books: Any) -> None:
    one: Books = make_books()
    two: Books = make_books()
    one.meter.settle(one.admit(idempotency_key="same", fingerprint="a"), Usage(1, 1), response=RESPONSE)
    two.admit(idempotency_key="same", fingerprint="b")  # another account's key space


def test_records_are_kept_at_least_24_hours(make_books: Any, aws: Any) -> None:
    books: Books = make_books()
    admission = books.admit(idempotency_key="abc", fingerprint="body-1")
    record = aws.ledger.idempotency_record(f"{books.account_id}#abc")
    assert record["expires_at"] - record["ttl"] <= -24 * 3600
    assert record["expires_at"] >= admission.hold.expires_at - 16 * 60 + 24 * 3600
