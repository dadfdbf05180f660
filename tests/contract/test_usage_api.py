"""Requests made through the official SDKs are found, exactly, in /v1/usage and /v1/generations/{id}."""

from __future__ import annotations

from typing import Any

from empirio.domain.money import format_usd, parse_usd
from tests.contract.conftest import Gateway, wire_cost

HELLO = [{"role": "user", "content": "Hello"}]


def test_sdk_requests_appear_exactly_in_usage_and_generations(gateway: Gateway) -> None:
    sdk, sdk_a = gateway.openai(), gateway.anthropic()
    made: list[tuple[str, str, int, int, int]] = []  # (id, model, input, output, cost)
    chat = sdk.chat.completions.create(model="test/openai", messages=HELLO)  # type: ignore[arg-type]
    made.append(
        (
            chat.id,
            "test/openai",
            chat.usage.prompt_tokens,
            chat.usage.completion_tokens,  # type: ignore[union-attr]
            wire_cost(chat.usage.model_extra["cost"]),
        )
    )  # type: ignore[union-attr]
    response = sdk.responses.create(model="local/echo", input="Hello there")
    made.append(
        (
            response.id,
            "local/echo",
            response.usage.input_tokens,
            response.usage.output_tokens,  # type: ignore[union-attr]
            wire_cost(response.usage.model_extra["cost"]),
        )
    )  # type: ignore[union-attr]
    message = sdk_a.messages.create(model="test/anthropic", max_tokens=100, messages=HELLO)  # type: ignore[arg-type]
    made.append(
        (
            message.id,
            "test/anthropic",
            message.usage.input_tokens + (message.usage.cache_read_input_tokens or 0),
            message.usage.output_tokens,
            wire_cost(message.usage.model_extra["cost"]),
        )
    )  # type: ignore[index]
    with sdk_a.messages.stream(model="test/bedrock", max_tokens=100, messages=HELLO) as stream:  # type: ignore[arg-type]
        streamed = stream.get_final_message()
    record = gateway.client.get(f"/v1/generations/{streamed.id}", headers={"x-api-key": gateway.key}).json()
    made.append(
        (
            streamed.id,
            "test/bedrock",
            record["input_tokens"],
            record["output_tokens"],
            parse_usd(record["cost"]),
        )
    )

    headers = {"Authorization": f"Bearer {gateway.key}"}
    for gen_id, model, inp, out, cost in made:
        generation = gateway.client.get(f"/v1/generations/{gen_id}", headers=headers).json()
        assert (generation["model"], generation["input_tokens"], generation["output_tokens"]) == (
            model,
            inp,
            out,
        )
        assert parse_usd(generation["cost"]) == cost and generation["status"] == "ok"
        assert generation["latency_ms"] >= generation["upstream_latency_ms"] >= 0

    body = gateway.client.get("/v1/usage?group_by=model", headers=headers).json()
    by_model: dict[str, Any] = {row["model"]: row for row in body["data"]}
    assert set(by_model) == {m for _, m, *_ in made}
    for _, model, inp, out, cost in made:
        assert (
            by_model[model]["requests"],
            by_model[model]["input_tokens"],
            by_model[model]["output_tokens"],
        ) == (1, inp, out)
        assert parse_usd(by_model[model]["cost"]) == cost
    assert body["totals"]["requests"] == 4
    assert body["totals"]["cost"] == format_usd(sum(c for *_, c in made)) == format_usd(gateway.charged())

    # after a rollup the closed hours come from rollups: the same answer
    gateway.operator.client.post("/admin/rollup", headers=gateway.operator.headers)
    again = gateway.client.get("/v1/usage?group_by=model,key,day,hour", headers=headers).json()
    assert again["totals"] == body["totals"]
    assert {row["key_id"] for row in again["data"]} == {record["key_id"]}


def test_generations_of_other_accounts_are_not_found(gateway: Gateway) -> None:
    chat = gateway.openai().chat.completions.create(model="local/echo", messages=HELLO)  # type: ignore[arg-type]
    other = gateway.operator.create_account("other")
    other_key = gateway.operator.create_key(other["id"])
    response = gateway.client.get(
        f"/v1/generations/{chat.id}", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "generation_not_found"


def test_usage_validates_its_parameters_and_paginates(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    assert (
        gateway.client.get("/v1/usage?group_by=color", headers=headers).json()["error"]["param"] == "group_by"
    )
    assert gateway.client.get("/v1/usage?start=yesterday", headers=headers).status_code == 400
    for text in ("one", "two words", "three more words"):
        gateway.openai().chat.completions.create(
            model="local/echo", messages=[{"role": "user", "content": text}]
        )  # type: ignore[list-item, misc]
    first = gateway.client.get("/v1/usage?group_by=hour,model&limit=1", headers=headers).json()
    assert len(first["data"]) == 1 and first["totals"]["requests"] == 3


def test_usage_pagination_parameters_out_of_range_are_400(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}"}
    for query in ("after=-1", "limit=0", "limit=5000", "limit=ten"):
        response = gateway.client.get(f"/v1/usage?{query}", headers=headers)
        assert response.status_code == 400, query
        assert response.json()["error"]["param"] == query.split("=")[0]
