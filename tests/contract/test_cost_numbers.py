"""usage.cost as OpenRouter answers it: a JSON number with its exact decimal digits, with cost_details, in every
wire format buffered and streamed; equal to the balance movement to the micro-dollar."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from tests.contract.conftest import Gateway, wire_cost

HELLO = [{"role": "user", "content": "Hello"}]
ROUTES = {
    "chat": ("/v1/chat/completions", {"model": "test/openai", "messages": HELLO}),
    "responses": ("/v1/responses", {"model": "test/openai", "input": "Hello"}),
    "messages": ("/v1/messages", {"model": "test/anthropic", "messages": HELLO, "max_tokens": 1000}),
}


def final_usage(fmt: str, text: str, stream: bool) -> dict[str, Any]:
    if not stream:
        body = json.loads(text)
        return dict(body["usage"])
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    if fmt == "chat":
        return dict(events[-1]["usage"])
    if fmt == "responses":
        return dict(events[-1]["response"]["usage"])
    return dict(next(e for e in reversed(events) if e["type"] == "message_delta")["usage"])


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("fmt", ROUTES)
def test_cost_is_an_exact_number_with_its_parts_and_equals_the_charge(
    gateway: Gateway, fmt: str, stream: bool
) -> None:
    path, body = ROUTES[fmt]
    before = gateway.balance()
    headers = {"Authorization": f"Bearer {gateway.key}", "x-api-key": gateway.key}
    response = gateway.client.post(path, json={**body, "stream": stream}, headers=headers)
    assert response.status_code == 200
    usage = final_usage(fmt, response.text, stream)
    micros = wire_cost(usage["cost"])
    # As written on the wire, not only as parsed: the exact decimal, never an artefact like 5.0000000000000002e-05
    literals = re.findall(r'"cost":(-?[0-9.eE+-]+)', response.text)
    assert literals and all(Decimal(literal) * 1_000_000 == micros for literal in literals), literals
    assert micros > 0 and before - gateway.balance() == micros
    parts = usage["cost_details"]
    assert set(parts) >= {"input", "output"} and all(isinstance(v, float) for v in parts.values())
    assert sum(Decimal(repr(v)) for v in parts.values()) * 1_000_000 <= micros  # the price, rounded up once
    assert micros - sum(Decimal(repr(v)) for v in parts.values()) * 1_000_000 < 1
