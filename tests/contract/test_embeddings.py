"""``POST /v1/embeddings`` with the official SDK: local/embed and an OpenAI upstream (the fake replays OpenAI's
recorded answer), floats and base64 (the SDK's default), the money to the micro-dollar, and the errors."""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

import openai
import pytest

from tests.contract.conftest import Gateway, wire_cost


def _cost(response: Any) -> int:
    return wire_cost(response.usage.model_extra["cost"])


@pytest.mark.parametrize("model", ["local/embed", "test/openai-embed", "test/bedrock-embed"])
def test_embeddings_through_the_sdk_charge_exactly_what_they_report(gateway: Gateway, model: str) -> None:
    client = gateway.openai()
    before = gateway.balance()
    response = client.embeddings.create(model=model, input=["the quick brown fox", "jumps over the lazy dog"])
    assert [d.index for d in response.data] == [0, 1] and response.model == model
    assert all(isinstance(x, float) for x in response.data[0].embedding)
    assert response.usage.prompt_tokens > 0 and response.usage.total_tokens == response.usage.prompt_tokens
    assert gateway.balance() == before - _cost(response)
    # 0.02 USD per million tokens, rounded up once to the micro-dollar
    assert _cost(response) == math.ceil(response.usage.prompt_tokens * 0.02)
    record = gateway.usage_records()[-1]
    assert (
        record["model"] == model
        and record["endpoint"] == "/v1/embeddings"
        and record["cost"] == _cost(response)
    )


def test_the_sdk_default_base64_decodes_to_the_same_floats(gateway: Gateway) -> None:
    client = gateway.openai()
    as_floats = client.embeddings.create(model="local/embed", input="hello", encoding_format="float")
    default = client.embeddings.create(model="local/embed", input="hello")  # the SDK asks for base64
    assert default.data[0].embedding == pytest.approx(as_floats.data[0].embedding, abs=1e-6)
    raw = gateway.client.post(
        "/v1/embeddings",
        headers={"Authorization": f"Bearer {gateway.key}"},
        json={"model": "local/embed", "input": "hello", "encoding_format": "base64"},
    ).json()
    encoded = raw["data"][0]["embedding"]
    assert isinstance(encoded, str)
    decoded = struct.unpack(f"<{len(base64.b64decode(encoded)) // 4}f", base64.b64decode(encoded))
    assert list(decoded) == pytest.approx(as_floats.data[0].embedding, abs=1e-6)
    assert math.isclose(sum(v * v for v in decoded), 1.0, rel_tol=1e-5)  # unit length


def test_local_embed_is_deterministic_and_takes_dimensions_and_token_arrays(gateway: Gateway) -> None:
    client = gateway.openai()
    a = client.embeddings.create(model="local/embed", input="same text", encoding_format="float")
    b = client.embeddings.create(model="local/embed", input="same text", encoding_format="float")
    assert a.data[0].embedding == b.data[0].embedding and len(a.data[0].embedding) == 256
    short = client.embeddings.create(
        model="local/embed", input="same text", dimensions=64, encoding_format="float"
    )
    assert len(short.data[0].embedding) == 64
    tokens = client.embeddings.create(model="local/embed", input=[[1, 2, 3], [4, 5]], encoding_format="float")
    assert len(tokens.data) == 2 and tokens.usage.prompt_tokens == 5


def test_the_upstream_gets_floats_dimensions_and_the_inputs(gateway: Gateway) -> None:
    gateway.openai().embeddings.create(model="test/openai-embed", input=["a", "b", "c"], dimensions=5)
    sent = gateway.upstream.last("/embeddings")["body"]
    assert sent == {
        "model": "text-embedding-3-small",
        "input": ["a", "b", "c"],
        "encoding_format": "float",
        "dimensions": 5,
    }


def test_titan_gets_one_invoke_per_input_and_its_dimensions(gateway: Gateway) -> None:
    response = gateway.openai().embeddings.create(
        model="test/bedrock-embed", input=["a", "b"], dimensions=256, encoding_format="float"
    )
    assert len(response.data) == 2 and len(response.data[0].embedding) == 256
    assert response.usage.prompt_tokens == 6  # the recorded inputTextTokenCount, summed
    sent = [r for r in gateway.upstream.requests if r["path"].endswith("/invoke")][-2:]
    assert sorted(r["body"]["inputText"] for r in sent) == ["a", "b"]
    assert all(r["body"]["dimensions"] == 256 and r["body"]["normalize"] is True for r in sent)
    assert all("amazon.titan-embed-text-v2" in r["path"] for r in sent)
    bad = gateway.client.post(
        "/v1/embeddings",
        headers={"Authorization": f"Bearer {gateway.key}"},
        json={"model": "test/bedrock-embed", "input": "x", "dimensions": 300},
    )
    assert bad.status_code == 400 and "256, 512 or 1024" in bad.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "local/embed", "input": ""}, 400, "input"),
        ({"model": "local/embed", "input": []}, 400, "input"),
        ({"model": "local/embed", "input": ["ok", ""]}, 400, "input[1]"),
        ({"model": "local/embed", "input": [1, -2]}, 400, "input"),
        ({"model": "local/embed", "input": "x", "encoding_format": "int8"}, 400, "encoding_format"),
        ({"model": "local/embed", "input": "x", "dimensions": 0}, 400, "dimensions"),
        ({"model": "local/embed"}, 400, "input"),
        ({"input": "x"}, 400, "model"),
        ({"model": "test/openai", "input": "x"}, 400, "model"),
        ({"model": "nope/nothing", "input": "x"}, 404, "model"),
    ],
)
def test_bad_requests_get_openai_errors_and_cost_nothing(
    gateway: Gateway, body: dict[str, Any], status: int, param: str
) -> None:
    before = gateway.balance()
    response = gateway.client.post(
        "/v1/embeddings", headers={"Authorization": f"Bearer {gateway.key}"}, json=body
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param
    assert gateway.balance() == before


def test_an_upstream_failure_is_not_charged_and_is_recorded(gateway: Gateway) -> None:
    before = gateway.balance()
    with pytest.raises(openai.InternalServerError):
        gateway.openai().embeddings.create(model="test/openai-embed-fail-500", input="x")
    assert gateway.balance() == before
    record = gateway.usage_records()[-1]
    assert record["status"] == "error" and record["billing_status"] == "not_charged" and record["cost"] == 0


def test_embeddings_need_credits_and_the_inference_scope(gateway: Gateway) -> None:
    manage_only = gateway.operator.create_key(gateway.account_id, ("manage",))
    denied = gateway.client.post(
        "/v1/embeddings",
        headers={"Authorization": f"Bearer {manage_only}"},
        json={"model": "local/embed", "input": "x"},
    )
    assert denied.status_code == 403
    broke = gateway.operator.create_account("broke", "0.00")
    key = gateway.operator.create_key(broke["id"])
    refused = gateway.client.post(
        "/v1/embeddings",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "local/embed", "input": "x"},
    )
    assert refused.status_code == 402


def test_an_idempotent_retry_replays_without_a_second_charge(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": "embed-1"}
    body = {"model": "local/embed", "input": "once", "encoding_format": "float"}
    first = gateway.client.post("/v1/embeddings", headers=headers, json=body)
    after_first = gateway.balance()
    second = gateway.client.post("/v1/embeddings", headers=headers, json=body)
    assert second.headers.get("idempotent-replayed") == "true" and second.json() == first.json()
    assert gateway.balance() == after_first


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/embeddings", {"model": "local/embed", "input": "a\ud800b"}),
        ("/v1/images/generations", {"model": "local/image", "prompt": "a\ud800b", "size": "8x8"}),
        (
            "/v1/audio/speech",
            {"model": "local/speech", "input": "a\ud800b", "voice": "alloy", "response_format": "wav"},
        ),
        ("/v1/videos", {"model": "local/video", "prompt": "a\ud800b", "seconds": "1"}),
    ],
)
def test_a_lone_surrogate_in_the_text_is_not_a_server_error(gateway: Gateway, path: str, body: Any) -> None:
    import json

    raw = json.dumps(body)  # JSON may carry "\ud800", which Python decodes to a lone surrogate
    response = gateway.client.post(
        path,
        content=raw,
        headers={"Authorization": f"Bearer {gateway.key}", "content-type": "application/json"},
    )
    assert response.status_code < 500, response.text
