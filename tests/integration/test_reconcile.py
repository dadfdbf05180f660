"""Reconciliation: zero difference after concurrent traffic; a corrupted balance is reported; what providers
billed beyond the holds is reported by account and model."""

from typing import Any

from empirio.domain.pricing import Usage
from empirio.store.dynamo import to_item, values
from tests.integration.conftest import Books
from tests.integration.test_concurrency import run_concurrently


def test_concurrent_traffic_reconciles_and_a_corrupted_balance_is_reported(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=100_000, rpm=1000)
    requests = [books.request(prompt=50, max_tokens=50) for _ in range(16)]
    run_concurrently(16, lambda i: books.meter.settle(books.meter.admit(requests[i]), Usage(50, i)))
    assert aws.reconciliation.differences() == []

    aws.client.update_item(
        TableName=aws.settings.table_name("accounts"),
        Key={"account_id": {"S": books.account_id}},
        UpdateExpression="SET available = available + :x",
        ExpressionAttributeValues=values(x=7),
    )
    differences = aws.reconciliation.differences()
    assert [(d.account_id, d.check, d.amount) for d in differences] == [(books.account_id, "balance", 7)]


def test_a_provider_billing_more_than_the_hold_is_reported_by_account_and_model(
    make_books: Any, aws: Any
) -> None:
    books: Books = make_books(credits=1_000_000)
    admission = books.admit(prompt=10, max_tokens=10)  # hold 30 µ$; the prompt turns out 50 times longer
    settled = books.meter.settle(admission, Usage(input_tokens=500, output_tokens=10))
    assert settled.charged == admission.hold.amount == 30 and settled.cost == 520
    assert books.account().available == 1_000_000 - 30  # the customer pays the hold, never more
    record = next(r.to_item() for r in aws.usage.records_for_account(books.account_id, 0, 10**12))
    assert (record["cost"], record["price"], record["house_loss"]) == (30, 520, 490)

    report = aws.reconciliation.report()
    assert report.differences == []
    assert [(loss.account_id, loss.model, loss.amount, loss.requests) for loss in report.house_losses] == [
        (books.account_id, record["model"], 490, 1)
    ]
    assert report.as_dict()["house_loss_total"] == 490


def test_a_usage_record_whose_loss_disagrees_with_its_hold_is_a_difference(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    books.meter.settle(books.admit(prompt=10, max_tokens=10), Usage(input_tokens=500, output_tokens=10))
    record = next(r.to_item() for r in aws.usage.records_for_account(books.account_id, 0, 10**12))
    aws.client.update_item(
        TableName=aws.settings.table_name("usage"),
        Key=to_item({k: record[k] for k in usage_key(aws)}),
        UpdateExpression="SET house_loss = :zero",
        ExpressionAttributeValues=values(zero=0),
    )
    checks = {(d.check, d.amount) for d in aws.reconciliation.differences()}
    assert checks == {("house_loss", -490), ("usage_price", 1)}


def usage_key(aws: Any) -> list[str]:
    table = aws.client.describe_table(TableName=aws.settings.table_name("usage"))["Table"]
    return [k["AttributeName"] for k in table["KeySchema"]]
