"""Fallback models (OpenRouter's ``models: [...]``) against the fake upstream: a model failing before its first
byte hands the request to the next; the hold covers the dearest candidate, the charge is the one that served."""

from __future__ import annotations

import json
from typing import Any

import pytest

from empirio.domain.money import format_usd
from empirio.domain.pricing import Usage, cost_micros, worst_case_micros
from empirio.domain.tokens import estimate_prompt_tokens
from empirio.formats import openai_chat
from tests.contract.conftest import Gateway, concurrent_statuses, wire_cost
from tests.contract.test_cost_numbers import final_usage

HELLO = [{"role": "user", "content": "Hello"}]
FAILING, SERVING = "test/anthropic-fail-503", "test/openai-premium"
ROUTES = {
    "chat": ("/v1/chat/completions", {"messages": HELLO}),
    "responses": ("/v1/responses", {"input": "Hello"}),
    "messages": ("/v1/messages", {"messages": HELLO, "max_tokens": 1000}),
}


def post(gateway: Gateway, fmt: str, key: str | None = None, **body: Any) -> Any:
    path, base = ROUTES[fmt]
    token = key or gateway.key
    return gateway.client.post(
        path, json={**base, **body}, headers={"Authorization": f"Bearer {token}", "x-api-key": token}
    )


def served_model(fmt: str, text: str, stream: bool) -> str:
    if not stream:
        return str(json.loads(text)["model"])
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    if fmt == "chat":
        return str(events[0]["model"])
    if fmt == "responses":
        return str(events[-1]["response"]["model"])
    return str(events[0]["message"]["model"])


def priced(gateway: Gateway, record: dict[str, Any], model_id: str) -> int:
    model = gateway.context.catalog.get(model_id)
    assert model is not None
    usage = Usage(
        input_tokens=int(record["input_tokens"]),
        output_tokens=int(record["output_tokens"]),
        cached_input_tokens=int(record["cached_input_tokens"]),
    )
    return cost_micros(usage, model.pricing)


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("fmt", ROUTES)
def test_a_model_failing_with_503_hands_over_to_the_next_which_is_charged(
    gateway: Gateway, fmt: str, stream: bool
) -> None:
    before = gateway.balance()
    response = post(gateway, fmt, model=FAILING, models=[FAILING, SERVING], stream=stream)
    assert response.status_code == 200, response.text
    assert served_model(fmt, response.text, stream) == SERVING
    [record] = gateway.usage_records()
    assert record["model"] == SERVING and record["provider"] == "openai" and record["status"] == "ok"
    assert [(a["model"], a["status"]) for a in record["attempts"]] == [(FAILING, 502), (SERVING, 200)]
    assert "503" in record["attempts"][0]["error"]
    charge = priced(gateway, record, SERVING)  # the premium model's prices, not the first model's
    assert charge > priced(gateway, record, FAILING)
    assert record["cost"] == charge == before - gateway.balance()
    assert wire_cost(final_usage(fmt, response.text, stream)["cost"]) == charge
    assert gateway.upstream.last("/openai")["body"]["model"] == "openai-premium-model"
    assert gateway.context.accounts.require(gateway.account_id).held == 0


def test_models_alone_names_the_model_and_the_openai_sdk_sends_them_in_extra_body(gateway: Gateway) -> None:
    client = gateway.openai()
    completion = client.chat.completions.create(
        model="test/openai-fail-500",
        messages=[{"role": "user", "content": "Hello"}],
        extra_body={"models": ["test/openai-fail-500", "test/bedrock-fail-429", "test/openai"]},
    )
    assert completion.model == "test/openai"
    [record] = gateway.usage_records()
    assert [a["status"] for a in record["attempts"]] == [502, 429, 200]
    response = post(gateway, "chat", models=["test/bedrock-fail-503", "test/bedrock"])  # no "model"
    assert response.status_code == 200 and response.json()["model"] == "test/bedrock"


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_every_candidate_failing_answers_the_last_error_and_charges_nothing(
    gateway: Gateway, stream: bool
) -> None:
    before = gateway.balance()
    response = post(
        gateway, "chat", model="test/openai-fail-503", models=["test/anthropic-fail-429"], stream=stream
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "upstream_rate_limited"
    assert gateway.balance() == before and gateway.charged() == 0
    [record] = gateway.usage_records()
    assert record["cost"] == 0 and record["billing_status"] == "not_charged"
    assert record["model"] == "test/anthropic-fail-429" and len(record["attempts"]) == 2
    assert gateway.context.accounts.require(gateway.account_id).held == 0


def test_a_request_the_upstream_refuses_as_invalid_is_not_retried_elsewhere(gateway: Gateway) -> None:
    response = post(gateway, "chat", model="test/openai-fail-400", models=["test/openai"])
    assert response.status_code == 400
    [record] = gateway.usage_records()
    assert [a["model"] for a in record["attempts"]] == ["test/openai-fail-400"]
    assert gateway.charged() == 0


@pytest.mark.parametrize(
    ("models", "status", "code"),
    [
        (["test/openai", "test/images-only"], 400, "incompatible_models"),  # another endpoint
        (["test/openai", "test/no-such-model"], 404, "model_not_found"),
        (["test/openai", 7], 400, "invalid_type"),
        (
            ["test/openai", "test/anthropic", "test/bedrock", "local/echo", "test/openai-slow", "test/x"],
            400,
            None,
        ),
    ],
)
def test_candidates_that_cannot_stand_in_are_refused_before_anything_is_held(
    gateway: Gateway, models: list[Any], status: int, code: str | None
) -> None:
    before = gateway.balance()
    for fmt in ROUTES:
        response = post(gateway, fmt, model=models[0], models=models)
        assert response.status_code == status, response.text
        if fmt == "messages":
            assert response.json()["type"] == "error"
        elif code:
            assert response.json()["error"]["code"] == code
    assert gateway.balance() == before and gateway.usage_records() == []


def test_an_image_for_a_text_only_fallback_is_refused_naming_the_input(gateway: Gateway) -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
    response = post(gateway, "chat", model="test/openai", models=["local/echo"], messages=messages)
    assert response.status_code == 400 and response.json()["error"]["code"] == "unsupported_modality"


def test_ten_concurrent_fallbacks_on_a_balance_for_exactly_ten_worst_cases_never_overspend(
    gateway: Gateway,
) -> None:
    body = {"model": "test/openai-fail-503", "models": [SERVING], "messages": HELLO, "max_tokens": 20}
    first, dearest = (gateway.context.catalog.get(m) for m in ("test/openai-fail-503", SERVING))
    assert first is not None and dearest is not None
    prompt = estimate_prompt_tokens(openai_chat.parse_request(body))
    # The serving model is the dearest in every unit; its answer (19 tokens in, 10 out) costs more than the first
    # model's worst case, so a hold planned on the first model would cap the charge.
    hold = worst_case_micros(dearest.pricing, prompt, 20)
    assert worst_case_micros(first.pricing, prompt, 20) < cost_micros(Usage(19, 10), dearest.pricing) <= hold
    account = gateway.operator.create_account("tight", format_usd(10 * hold))
    key = gateway.operator.create_key(account["id"])
    statuses = concurrent_statuses(gateway.client.app, 10, key, body)
    assert statuses == [200] * 10  # the balance covers every one's worst case, so none is refused
    books = gateway.context.accounts.require(account["id"])
    records = [r for r in gateway.usage_records() if r["account_id"] == account["id"]]
    assert len(records) == 10 and books.held == 0 and books.available >= 0
    for record in records:  # each charged in full at the serving model's prices: no loss hidden by a cap
        assert record["model"] == SERVING and record["house_loss"] == 0
        assert record["cost"] == priced(gateway, record, SERVING)
    assert books.charged == sum(r["cost"] for r in records) == 10 * hold - books.available
    holds = [e for e in gateway.context.ledger.entries(account["id"]) if e["kind"] == "hold"]
    assert [e["amount"] for e in holds] == [hold] * 10


@pytest.mark.parametrize(
    "failing", ["test/openai-fail-503", "test/anthropic-fail-429", "test/bedrock-fail-503"]
)
def test_a_failing_model_hands_over_at_once_and_only_the_last_model_is_retried(
    gateway: Gateway, failing: str
) -> None:
    upstream_name = failing.split("-", 1)[1]  # "fail-503"
    provider = failing.split("/")[1].split("-")[0]

    def calls() -> int:
        return sum(
            1
            for r in gateway.upstream.requests
            if f"/{provider}" in r["path"]
            and (
                r["body"].get("model") == upstream_name
                or r["path"].endswith(f"/model/{upstream_name}/converse")
            )
        )

    before = calls()  # the fake upstream lives for the whole session
    assert post(gateway, "chat", model=failing, models=["test/openai"]).status_code == 200
    assert calls() - before == 1  # no retry of the failing upstream while another model stands by
    assert post(gateway, "chat", model=failing).status_code in (429, 502)
    retried = (
        4 if provider == "bedrock" else 3
    )  # alone it is retried before the first byte as always (botocore
    assert calls() - before == 1 + retried  # makes 3 retries, our HTTP transport 2)
