"""POST /v1/estimate: the cost and admissibility of a request before sending it, with nothing held or called."""

from __future__ import annotations

from typing import Any

from empirio.domain.money import format_usd, parse_usd
from tests.contract.conftest import Gateway

ECHO = {"model": "local/echo", "messages": [{"role": "user", "content": "How much will this cost me?"}]}


def estimate(
    gateway: Gateway, body: dict[str, Any], key: str | None = None, **headers: str
) -> dict[str, Any]:
    response = gateway.client.post(
        "/v1/estimate", json=body, headers={"Authorization": f"Bearer {key or gateway.key}", **headers}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_estimate_brackets_the_actual_charge_and_holds_nothing(gateway: Gateway) -> None:
    before = gateway.context.accounts.require(gateway.account_id)
    calls = len(gateway.upstream.requests)
    for body in (ECHO, {**ECHO, "max_tokens": 50}):
        answer = estimate(gateway, body)
        assert answer["admissible"] is True and answer["reason"] is None
        after = gateway.context.accounts.require(gateway.account_id)
        assert (after.available, after.held) == (before.available, before.held)
        assert gateway.usage_records() == [] and len(gateway.upstream.requests) == calls
    answer = estimate(gateway, {**ECHO, "max_tokens": 50})
    response = gateway.client.post(
        "/v1/chat/completions",
        json={**ECHO, "max_tokens": 50},
        headers={"Authorization": f"Bearer {gateway.key}"},
    )
    [record] = gateway.usage_records()
    assert record["input_tokens"] == answer["prompt_tokens"]  # local/echo counts the prompt as we do
    low, high = (parse_usd(answer["expected_cost"][k]) for k in ("low", "high"))
    assert low <= record["cost"] <= high == parse_usd(answer["worst_case_cost"])
    assert response.json()["usage"]["prompt_tokens"] == answer["prompt_tokens"]


def test_the_estimate_says_why_a_request_would_be_refused(gateway: Gateway) -> None:
    poor = gateway.operator.create_account("poor", "0.000010")
    key = gateway.operator.create_key(poor["id"])
    answer = estimate(gateway, {**ECHO, "max_tokens": 1000}, key)
    assert answer["admissible"] is False and answer["code"] == "insufficient_credits"
    assert "Insufficient credits" in answer["reason"] and answer["balance"] == "0.00001"
    tight = estimate(gateway, ECHO, **{"x-max-cost": "0.000001"})
    assert tight["admissible"] is False and tight["code"] == "max_cost_too_low"
    capped = gateway.client.post(
        "/v1/keys", json={"spend_limit": "0.000005"}, headers={"Authorization": f"Bearer {gateway.key}"}
    ).json()
    over = estimate(gateway, {**ECHO, "max_tokens": 1000}, capped["key"])
    assert over["admissible"] is False and over["code"] == "key_spend_limit_reached"
    assert over["key_spend_remaining"] == format_usd(5)


def test_any_of_the_three_bodies_and_an_explicit_endpoint(gateway: Gateway) -> None:
    responses = estimate(gateway, {"model": "local/echo", "input": "How much will this cost me?"})
    assert responses["endpoint"] == "/v1/responses"
    messages = estimate(
        gateway,
        {"endpoint": "/v1/messages", "body": {**ECHO, "max_tokens": 64, "system": "Be brief."}},
    )
    assert messages["endpoint"] == "/v1/messages" and messages["max_output_tokens"] == 64
    chat = estimate(gateway, ECHO)
    assert chat["endpoint"] == "/v1/chat/completions" and chat["prompt_tokens"] == responses["prompt_tokens"]
    bad = gateway.client.post(
        "/v1/estimate",
        json={"endpoint": "/v1/nope", "body": ECHO},
        headers={"Authorization": f"Bearer {gateway.key}"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "endpoint"


def test_the_estimate_reserves_tpm_as_admission_does(gateway: Gateway) -> None:
    """The hold takes the prompt's byte bound, the TPM reservation its typical count: a request whose bound
    alone exceeds the TPM limit (~3,500 of 3,000) is admissible by the estimate, and admission admits it."""
    body = {
        "model": "local/echo",
        "messages": [{"role": "user", "content": "word " * 700}],
        "max_tokens": 100,
    }
    for ask in ("estimate", "admit"):  # a fresh account each, so the first cannot drain the other's bucket
        account = gateway.operator.create_account(f"tpm-{ask}", "10.00")
        limits = gateway.operator.client.patch(
            f"/admin/accounts/{account['id']}/limits", json={"tpm": 3_000}, headers=gateway.operator.headers
        )
        assert limits.status_code == 200, limits.text
        key = gateway.operator.create_key(account["id"])
        if ask == "estimate":
            answer = estimate(gateway, body, key)
            assert answer["admissible"] is True and answer["prompt_tokens"] > 3_000, answer
        else:
            headers = {"Authorization": f"Bearer {key}"}
            sent = gateway.client.post("/v1/chat/completions", json=body, headers=headers)
            assert sent.status_code == 200, sent.text
