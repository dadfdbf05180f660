"""Money through the app: concurrent requests against a small balance, broken streams, idempotent replays."""

from __future__ import annotations

from typing import Any

from empirio.domain.money import format_usd
from tests.contract.conftest import Gateway, concurrent_statuses, wire_cost

HELLO = [{"role": "user", "content": "Hello"}]
# local/echo: $1/M input, $2/M output, and it reports the prompt at the gateway's own bound (domain/tokens.py):
# "Hello" is 3 per request + 4 per message + its 5 bytes = 12 tokens, and its echo is 2 tokens. With
# max_tokens=2 a request holds and costs 12 + 2·2 = 16.
COST = 16


def test_a_balance_for_10_requests_serves_exactly_10_of_30_concurrent(gateway: Gateway) -> None:
    account = gateway.operator.create_account("ten", format_usd(10 * COST))
    key = gateway.operator.create_key(account["id"])
    gateway.operator.client.patch(
        f"/admin/accounts/{account['id']}/limits", json={"rpm": 1000}, headers=gateway.operator.headers
    )
    body = {"model": "local/echo", "messages": HELLO, "max_tokens": 2}
    statuses = concurrent_statuses(gateway.client.app, 30, key, body)
    assert sorted(statuses) == [200] * 10 + [402] * 20
    books = gateway.context.accounts.require(account["id"])
    charges = [
        e
        for e in gateway.context.ledger.entries(account["id"])
        if e["kind"] == "hold" and e["status"] == "settled"
    ]
    assert len(charges) == 10 and books.held == 0
    assert books.available == 0 and books.charged == books.topped_up == 10 * COST


def test_an_upstream_that_dies_mid_stream_charges_what_was_generated(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    body = {"model": "test/anthropic-cut", "max_tokens": 100, "messages": HELLO, "stream": True}
    response = gateway.client.post("/v1/messages", json=body, headers={**headers, "x-api-key": gateway.key})
    assert response.status_code == 200
    assert "event: error" in response.text  # the stream ends with an error event, not a silent cut
    records = gateway.usage_records()
    assert len(records) == 1 and records[0]["status"] == "error"
    assert gateway.charged() == records[0]["cost"]
    assert gateway.context.accounts.require(gateway.account_id).held == 0


def test_the_same_idempotency_key_returns_the_stored_result_and_charges_once(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": "retry-7"}
    body = {"model": "test/openai", "messages": HELLO}
    first = gateway.client.post("/v1/chat/completions", json=body, headers=headers)
    second = gateway.client.post("/v1/chat/completions", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    charges = [
        e
        for e in gateway.context.ledger.entries(gateway.account_id)
        if e["kind"] == "hold" and e["status"] == "settled"
    ]
    assert len(charges) == 1 and gateway.charged() == wire_cost(first.json()["usage"]["cost"])
    other = gateway.client.post("/v1/chat/completions", json={**body, "temperature": 0.5}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_a_streamed_request_replays_its_stream(gateway: Gateway) -> None:
    headers = {"x-api-key": gateway.key, "Idempotency-Key": "stream-1"}
    body: dict[str, Any] = {"model": "local/echo", "max_tokens": 50, "messages": HELLO, "stream": True}
    first = gateway.client.post("/v1/messages", json=body, headers=headers)
    second = gateway.client.post("/v1/messages", json=body, headers=headers)
    assert first.text == second.text and "event: message_stop" in second.text
    assert (
        len(
            [
                e
                for e in gateway.context.ledger.entries(gateway.account_id)
                if e["kind"] == "hold" and e["status"] == "settled"
            ]
        )
        == 1
    )
