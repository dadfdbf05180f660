"""A provider that bills more than the hold, through the app: the customer is charged the hold and never more,
the usage record keeps the price and the difference, and reconciliation reports it by account and model."""

from __future__ import annotations

from tests.contract.conftest import Gateway


def test_an_answer_billed_beyond_the_hold_charges_the_hold_and_reports_the_house_loss(
    gateway: Gateway,
) -> None:
    # The fake Anthropic upstream answers with its recorded usage (2,095 input tokens, 10 output) whatever the
    # prompt: far beyond what a one-word prompt and max_tokens 1 hold for.
    body = {"model": "test/anthropic", "max_tokens": 1, "messages": [{"role": "user", "content": "Hi"}]}
    response = gateway.client.post("/v1/messages", json=body, headers={"x-api-key": gateway.key})
    assert response.status_code == 200, response.text
    (record,) = gateway.usage_records()
    (hold,) = [e for e in gateway.context.ledger.entries(gateway.account_id) if e["kind"] == "hold"]
    assert record["input_tokens"] >= 2_095 and record["price"] > hold["amount"]
    assert record["cost"] == hold["charge"] == hold["amount"] == gateway.charged()
    assert record["house_loss"] == hold["house_loss"] == record["price"] - record["cost"] > 0
    assert gateway.context.accounts.require(gateway.account_id).available >= 0

    report = gateway.context.reconciliation.report()
    assert [d for d in report.differences if d.account_id == gateway.account_id] == []
    mine = [loss for loss in report.house_losses if loss.account_id == gateway.account_id]
    assert [(loss.model, loss.amount, loss.requests) for loss in mine] == [
        (record["model"], record["house_loss"], 1)
    ]
