"""Admission and settlement: holds, charges, automatic output caps, refusals that consume nothing."""

from typing import Any

import pytest

from empirio.domain.pricing import Usage
from empirio.errors import InsufficientCreditsError, RateLimitError
from tests.integration.conftest import Books


def test_admission_holds_the_worst_case_and_settle_charges_the_actual_cost(make_books: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=100, max_tokens=200)
    assert admission.hold.amount == 100 * 1 + 200 * 2 and admission.max_tokens == 200
    assert (books.account().available, books.account().held) == (1_000_000 - 500, 500)

    settled = books.meter.settle(admission, Usage(input_tokens=100, output_tokens=50))
    assert settled.cost == settled.charged == 200
    account = books.account()
    assert (account.available, account.held, account.charged) == (1_000_000 - 200, 0, 200)
    books.assert_books_balance()


def test_a_cost_above_the_hold_is_booked_to_the_house_not_the_customer(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=10, max_tokens=10)  # hold 30
    settled = books.meter.settle(
        admission, Usage(input_tokens=500, output_tokens=10)
    )  # the prompt was longer
    assert settled.cost == 520 and settled.charged == admission.hold.amount == 30
    house = aws.client.get_item(
        TableName=aws.settings.table_name("accounts"), Key={"account_id": {"S": "__house__"}}
    )["Item"]
    assert int(house["house_loss"]["N"]) == 490
    books.assert_books_balance()


def test_a_void_releases_everything_and_charges_nothing(make_books: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    books.meter.void(books.admit())
    assert books.account().available == 1_000_000 and books.account().held == 0
    books.assert_books_balance()


def test_second_settle_of_same_request_charges_nothing(make_books: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit()
    books.meter.settle(admission, Usage(input_tokens=100, output_tokens=100))
    again = books.meter.settle(admission, Usage(input_tokens=100, output_tokens=100))
    assert not again.result.settled and again.result.already
    assert books.account().charged == 300
    books.assert_books_balance()


def test_without_max_tokens_the_cap_is_lowered_to_what_the_balance_affords(make_books: Any) -> None:
    books: Books = make_books(credits=1_100)  # prompt 100 costs 100; 1000 left buys 500 output tokens
    admission = books.admit(prompt=100, max_tokens=None)
    assert admission.max_tokens == 500 and admission.hold.amount == 1_100
    assert books.account().available == 0
    books.assert_books_balance()


def test_without_max_tokens_a_balance_below_the_minimum_is_402(make_books: Any) -> None:
    books: Books = make_books(credits=120)  # 100 for the prompt leaves 10 output tokens < 16
    with pytest.raises(InsufficientCreditsError) as error:
        books.admit(prompt=100, max_tokens=None)
    assert error.value.status == 402 and "affords 10 output tokens" in error.value.message
    assert books.account().available == 120


def test_a_refusal_consumes_neither_credits_nor_limit(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=400, rpm=2)
    with pytest.raises(InsufficientCreditsError) as error:
        books.admit(prompt=100, max_tokens=200)  # needs 500
    assert "affords 150 output tokens" in error.value.message
    stored = aws.client.get_item(
        TableName=aws.settings.table_name("accounts"), Key={"account_id": {"S": books.account_id}}
    )["Item"]
    assert "rpm_tat" not in stored and "tpm_tat" not in stored and int(stored["available"]["N"]) == 400
    books.admit(prompt=100, max_tokens=100)
    books.admit(prompt=10, max_tokens=10)  # both RPM slots were still there
    with pytest.raises(RateLimitError) as limited:
        books.admit(prompt=1, max_tokens=1)
    assert int(limited.value.headers["retry-after"]) >= 1
    books.assert_books_balance()


def test_tpm_counts_prompt_plus_max_tokens_and_settle_corrects_it(make_books: Any) -> None:
    books: Books = make_books(credits=10_000_000, tpm=1_000)
    first = books.admit(prompt=100, max_tokens=800)  # reserves 900 of 1000
    with pytest.raises(RateLimitError, match="tokens per minute"):
        books.admit(prompt=100, max_tokens=100)
    books.meter.settle(first, Usage(input_tokens=100, output_tokens=10))  # used 110: 790 given back
    books.admit(prompt=100, max_tokens=600)
    books.assert_books_balance()


def test_a_request_larger_than_the_tpm_limit_is_refused_with_retry_after(make_books: Any) -> None:
    books: Books = make_books(tpm=500)
    with pytest.raises(RateLimitError) as error:
        books.admit(prompt=100, max_tokens=1_000)
    assert error.value.code == "request_too_large" and error.value.headers["retry-after"]


def test_changed_limits_are_learned_from_the_failed_condition(make_books: Any, aws: Any) -> None:
    books: Books = make_books(rpm=3)
    for _ in range(3):
        books.admit()
    with pytest.raises(RateLimitError, match="3 requests per minute"):
        books.admit()
    aws.accounts.set_limits(books.account_id, {"rpm": 10})
    books.admit()  # the meter assumed rpm=3; the condition fails, returns rpm=10, and the retry admits
    books.assert_books_balance()


def test_limits_endpoint_publishes_the_policy_and_what_remains(operator: Any, aws: Any) -> None:
    from empirio.domain.accounts import Principal
    from empirio.domain.keys import Scope
    from empirio.services.metering import Meter, MeterRequest
    from tests.integration.conftest import MODEL

    account = operator.create_account("limits", "10.00")
    # Limits low enough that what one request takes needs 20 s to refill: the figures do not depend on speed.
    operator.client.patch(
        f"/admin/accounts/{account['id']}/limits", json={"rpm": 3, "tpm": 6000}, headers=operator.headers
    )
    key = operator.create_key(account["id"])
    principal = Principal(account["id"], "key_x", (Scope.INFERENCE,))
    Meter(aws.ledger).admit(
        MeterRequest(principal, "req_limits_1", MODEL, prompt_tokens=1000, max_tokens=1000)
    )
    body = operator.client.get("/v1/limits", headers={"Authorization": f"Bearer {key}"}).json()
    assert "L + L*t/60" in body["rate_limit_policy"]
    assert body["usage"]["requests_remaining"] == 2
    assert 6000 - 2000 <= body["usage"]["tokens_remaining"] < 6000  # refilling at 100 per s
