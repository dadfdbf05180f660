"""Errors in each endpoint's own shape, upstream failures mapped and never charged, request ids and limits."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from tests.contract.conftest import Gateway

HELLO = [{"role": "user", "content": "Hello"}]


def test_unknown_model_is_404_in_each_format(gateway: Gateway) -> None:
    with pytest.raises(openai.NotFoundError) as chat:
        gateway.openai().chat.completions.create(model="nobody/nothing", messages=HELLO)  # type: ignore[arg-type]
    assert chat.value.body["code"] == "model_not_found"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        gateway.openai().responses.create(model="nobody/nothing", input="Hello")
    with pytest.raises(anthropic.NotFoundError) as msg:
        gateway.anthropic().messages.create(model="nobody/nothing", max_tokens=10, messages=HELLO)  # type: ignore[arg-type]
    assert msg.value.body == {
        "type": "error",
        "error": {"type": "not_found_error", "message": msg.value.body["error"]["message"]},
    }  # type: ignore[index]


def test_a_model_that_does_not_serve_the_endpoint_is_400(gateway: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as error:
        gateway.openai().chat.completions.create(model="test/images-only", messages=HELLO)  # type: ignore[arg-type]
    assert error.value.body["code"] == "unsupported_endpoint"  # type: ignore[index]


def test_image_input_to_a_text_only_model_is_400(gateway: Gateway) -> None:
    content = [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]
    with pytest.raises(openai.BadRequestError) as error:
        gateway.openai().chat.completions.create(
            model="local/echo", messages=[{"role": "user", "content": content}]
        )  # type: ignore[list-item, misc]
    assert error.value.body["code"] == "unsupported_modality"  # type: ignore[index]


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {"model": "local/echo"}, "messages"),
        ("/v1/chat/completions", {"model": "local/echo", "messages": []}, "messages"),
        (
            "/v1/chat/completions",
            {"model": "local/echo", "messages": [{"role": "wizard", "content": "x"}]},
            "messages[0].role",
        ),
        ("/v1/chat/completions", {"model": "local/echo", "messages": HELLO, "max_tokens": 0}, "max_tokens"),
        (
            "/v1/chat/completions",
            {"model": "local/echo", "messages": HELLO, "temperature": "hot"},
            "temperature",
        ),
        ("/v1/chat/completions", {"messages": HELLO}, "model"),
        ("/v1/responses", {"model": "local/echo"}, "input"),
        (
            "/v1/responses",
            {"model": "local/echo", "input": [{"type": "message", "role": "user", "content": 5}]},
            "input[0].content",
        ),
    ],
)
def test_malformed_openai_bodies_are_400_naming_the_parameter(
    gateway: Gateway, path: str, body: dict[str, Any], param: str
) -> None:
    response = gateway.client.post(path, json=body, headers={"Authorization": f"Bearer {gateway.key}"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param and response.headers["x-request-id"].startswith("req_")


def test_malformed_anthropic_bodies_are_400_in_anthropic_shape(gateway: Gateway) -> None:
    response = gateway.client.post(
        "/v1/messages", json={"model": "local/echo", "max_tokens": 5}, headers={"x-api-key": gateway.key}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert "messages" in body["error"]["message"]
    bad_json = gateway.client.post(
        "/v1/messages",
        content=b"{nope",
        headers={"x-api-key": gateway.key, "content-type": "application/json"},
    )
    assert bad_json.status_code == 400 and bad_json.json()["type"] == "error"


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_upstream_429_is_429_with_retry_after_and_costs_nothing(
    gateway: Gateway, provider: str, stream: bool
) -> None:
    response = gateway.client.post(
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.key}"},
        json={"model": f"test/{provider}-fail-429", "messages": HELLO, "stream": stream},
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert gateway.balance() == 10_000_000 and gateway.charged() == 0
    [record] = gateway.usage_records()  # the failure is on record, at no cost
    assert record["status"] == "error" and record["error_status"] == 429 and record["cost"] == 0
    assert record["billing_status"] == "not_charged"
    assert gateway.context.accounts.require(gateway.account_id).held == 0


@pytest.mark.parametrize(("scenario", "status"), [("fail-500", 502), ("fail-400", 400)])
@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
def test_upstream_failures_map_and_cost_nothing(
    gateway: Gateway, provider: str, scenario: str, status: int
) -> None:
    with pytest.raises(anthropic.APIStatusError) as error:
        gateway.anthropic().messages.create(
            model=f"test/{provider}-{scenario}", max_tokens=50, messages=HELLO
        )  # type: ignore[arg-type]
    assert error.value.status_code == status
    assert error.value.body["type"] == "error"  # type: ignore[index]
    assert gateway.balance() == 10_000_000 and gateway.charged() == 0


def test_every_response_has_a_request_id_and_rate_limit_headers(gateway: Gateway) -> None:
    chat = gateway.openai().chat.completions.with_raw_response.create(model="local/echo", messages=HELLO)  # type: ignore[arg-type]
    assert chat.headers["x-request-id"].startswith("req_")
    assert chat.headers["x-ratelimit-limit-requests"] == "50"
    assert int(chat.headers["x-ratelimit-remaining-requests"]) == 49
    assert chat.headers["x-ratelimit-limit-tokens"] == "2000000" and chat.headers["x-ratelimit-reset-tokens"]
    msg = gateway.anthropic().messages.with_raw_response.create(
        model="local/echo", max_tokens=20, messages=HELLO
    )  # type: ignore[arg-type]
    assert msg.headers["x-request-id"].startswith("req_")
    assert msg.headers["anthropic-ratelimit-requests-limit"] == "50"
    assert msg.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")


def test_rate_limited_requests_get_429_with_retry_after(gateway: Gateway) -> None:
    gateway.operator.client.patch(
        f"/admin/accounts/{gateway.account_id}/limits", json={"rpm": 2}, headers=gateway.operator.headers
    )
    sdk = gateway.openai()
    for _ in range(2):
        sdk.chat.completions.create(model="local/echo", messages=HELLO)  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError) as error:
        sdk.chat.completions.create(model="local/echo", messages=HELLO)  # type: ignore[arg-type]
    assert int(error.value.response.headers["retry-after"]) >= 1
    with pytest.raises(anthropic.RateLimitError):
        gateway.anthropic().messages.create(model="local/echo", max_tokens=5, messages=HELLO)  # type: ignore[arg-type]


def test_insufficient_credits_is_402_with_what_the_balance_affords(gateway: Gateway) -> None:
    account = gateway.operator.create_account("poor", "0.000010")
    key = gateway.operator.create_key(account["id"])
    response = gateway.client.post(
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "local/echo", "messages": HELLO, "max_tokens": 1000},
    )
    assert response.status_code == 402
    assert "affords" in response.json()["error"]["message"]
    anthropic_shape = gateway.client.post(
        "/v1/messages",
        headers={"x-api-key": key},
        json={"model": "local/echo", "messages": HELLO, "max_tokens": 1000},
    )
    assert anthropic_shape.status_code == 402 and anthropic_shape.json()["error"]["type"] == "billing_error"


def test_with_the_store_down_requests_get_503_and_no_upstream_call(gateway: Gateway) -> None:
    import boto3
    from botocore.config import Config

    from empirio.context import Context, reset_context

    sdk = gateway.openai()
    sdk.chat.completions.create(model="test/openai", messages=HELLO)  # type: ignore[arg-type]  # caches the key
    calls = len(gateway.upstream.requests)
    down = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        config=Config(connect_timeout=0.2, read_timeout=0.2, retries={"max_attempts": 1}),
    )
    reset_context(Context(gateway.context.settings, client=down))
    with pytest.raises(openai.InternalServerError) as error:
        sdk.chat.completions.create(model="test/openai", messages=HELLO)  # type: ignore[arg-type]
    assert error.value.status_code == 503
    assert len(gateway.upstream.requests) == calls


def test_a_silent_upstream_times_out_as_504_and_costs_nothing(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPIRIO_UPSTREAM_READ_TIMEOUT", "0.3")
    started = len(gateway.upstream.requests)
    response = gateway.client.post(
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.key}"},
        json={"model": "test/openai-hang", "messages": HELLO},
    )
    assert response.status_code == 504 and response.json()["error"]["code"] == "upstream_timeout"
    assert len(gateway.upstream.requests) - started == 3  # retried twice: nothing had reached the client
    assert gateway.balance() == 10_000_000 and gateway.charged() == 0


def test_retries_happen_only_for_retryable_failures(gateway: Gateway) -> None:
    for model, attempts in (
        ("test/openai-fail-500", 3),
        ("test/openai-fail-400", 1),
        ("test/openai-fail-429", 3),
    ):
        before = len(gateway.upstream.requests)
        gateway.client.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {gateway.key}"},
            json={"model": model, "messages": HELLO},
        )
        assert len(gateway.upstream.requests) - before == attempts, model


def test_the_hot_path_is_one_transaction_to_admit_and_one_to_settle(
    gateway: Gateway, dynamo_calls: Any
) -> None:
    sdk = gateway.openai()
    sdk.chat.completions.create(model="test/openai", messages=HELLO)  # type: ignore[arg-type]  # warm the caches
    dynamo_calls.reset()
    sdk.chat.completions.create(model="test/openai", messages=HELLO)  # type: ignore[arg-type]
    assert dynamo_calls.names == ["TransactWriteItems", "TransactWriteItems"]


def test_a_missing_provider_key_is_503_unavailable_with_the_variable_only_in_the_log(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("FAKE_OPENAI_KEY")
    before, sent = gateway.balance(), len(gateway.upstream.requests)
    with (
        caplog.at_level("ERROR", logger="empirio.upstream"),
        pytest.raises(openai.InternalServerError) as chat,
    ):
        gateway.openai().chat.completions.create(model="test/openai", messages=HELLO)
    assert chat.value.status_code == 503
    assert chat.value.body["code"] == "model_unavailable"  # type: ignore[index]
    assert "FAKE_OPENAI_KEY" not in str(chat.value.body) and "test/openai" in str(chat.value.body)
    with pytest.raises(anthropic.APIStatusError) as msg:
        gateway.anthropic().messages.create(model="test/openai", max_tokens=10, messages=HELLO)
    assert msg.value.status_code == 503 and msg.value.body["type"] == "error"  # type: ignore[index]
    lines = [r.getMessage() for r in caplog.records if "provider key missing" in r.getMessage()]
    assert lines and all("FAKE_OPENAI_KEY" in line and "test/openai" in line for line in lines)
    assert gateway.balance() == before and not gateway.usage_records()  # nothing held, nothing charged
    assert len(gateway.upstream.requests) == sent  # no upstream call was made
