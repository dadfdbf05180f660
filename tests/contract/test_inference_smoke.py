"""A first pass over every provider: one buffered chat each, and the money moves by the reported cost."""

from typing import Any

import pytest

from tests.contract.conftest import PROVIDERS, Gateway, wire_cost


@pytest.mark.parametrize("provider", PROVIDERS)
def test_buffered_chat_moves_the_balance_by_its_cost(gateway: Gateway, provider: str) -> None:
    model = "local/echo" if provider == "local" else f"test/{provider}"
    before = gateway.balance()
    reply = gateway.openai().chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hello"}]
    )
    assert reply.choices[0].message.content
    cost = wire_cost(reply.usage.model_extra["cost"])  # type: ignore[union-attr]
    assert cost > 0 and before - gateway.balance() == cost


def test_fake_upstream_records(gateway: Gateway) -> None:
    gateway.openai().chat.completions.create(
        model="test/openai", messages=[{"role": "user", "content": "Hi"}]
    )
    sent: Any = gateway.upstream.last("/openai/")
    assert sent["headers"]["Authorization"] == "Bearer sk-upstream-openai"
