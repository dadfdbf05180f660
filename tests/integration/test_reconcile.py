"""Reconciliation: zero difference after concurrent traffic; a corrupted balance is reported."""

from typing import Any

from empirio.domain.pricing import Usage
from empirio.reconcile import reconcile
from empirio.store.dynamo import values
from tests.integration.conftest import Books
from tests.integration.test_concurrency import run_concurrently


def test_concurrent_traffic_reconciles_and_a_corrupted_balance_is_reported(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=100_000, rpm=1000)
    requests = [books.request(prompt=50, max_tokens=50) for _ in range(16)]
    run_concurrently(16, lambda i: books.meter.settle(books.meter.admit(requests[i]), Usage(50, i)))
    assert reconcile(aws) == []

    aws.client.update_item(
        TableName=aws.settings.table_name("accounts"),
        Key={"account_id": {"S": books.account_id}},
        UpdateExpression="SET available = available + :x",
        ExpressionAttributeValues=values(x=7),
    )
    differences = reconcile(aws)
    assert [(d.account_id, d.check, d.amount) for d in differences] == [(books.account_id, "balance", 7)]
