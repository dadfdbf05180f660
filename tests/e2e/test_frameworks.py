"""Frameworks no one here wrote, against `empirio dev` over real HTTP, as OpenRouter users configure them: the
litellm SDK (its OpenRouter and OpenAI providers) and LangChain read ``usage.cost`` as a number, with no warning
(pytest turns every warning into an error), and it equals the balance movement to the micro-dollar."""

from __future__ import annotations

import functools
import operator
import os
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

from empirio.domain.money import parse_usd

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = (
    "True"  # litellm would fetch its price list from GitHub at import
)
MODEL = "local/echo"
HELLO = [{"role": "user", "content": "Hello from a framework"}]


def balance(server: dict[str, Any]) -> int:
    response = httpx.get(
        f"{server['base URL']}/credits", headers={"Authorization": f"Bearer {server['API key']}"}
    )
    return parse_usd(response.json()["balance"])


def generations(server: dict[str, Any]) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server['base URL']}/generations?limit=100",
        headers={"Authorization": f"Bearer {server['API key']}"},
    )
    return list(response.json()["data"])


def spent(server: dict[str, Any], call: Callable[[], Any]) -> tuple[Any, int]:
    before = balance(server)
    result = call()
    return result, before - balance(server)


def micros(cost: Any) -> int:
    assert isinstance(cost, float), f"cost is not a number: {cost!r}"
    return round(cost * 1_000_000)


@pytest.fixture(scope="module")
def litellm() -> Any:
    import litellm

    return litellm


def test_litellm_openrouter_reads_the_cost_buffered_and_streamed(
    dev_server: dict[str, Any], litellm: Any
) -> None:
    options = {
        "model": f"openrouter/{MODEL}",
        "api_base": dev_server["base URL"],
        "api_key": dev_server["API key"],
    }
    response, moved = spent(dev_server, lambda: litellm.completion(messages=HELLO, **options))
    assert micros(response.usage.cost) == micros(response._hidden_params["response_cost"]) == moved > 0

    def streamed() -> Any:
        stream = litellm.completion(
            messages=HELLO, stream=True, stream_options={"include_usage": True}, **options
        )
        chunks = list(stream)
        return next(c.usage for c in reversed(chunks) if getattr(c, "usage", None))

    usage, moved = spent(dev_server, streamed)
    assert micros(usage.cost) == moved > 0


def test_litellm_responses_api_reads_the_cost(dev_server: dict[str, Any], litellm: Any) -> None:
    response, moved = spent(
        dev_server,
        lambda: litellm.responses(
            model=f"openai/{MODEL}",
            input="Hello from a framework",
            api_base=dev_server["base URL"],
            api_key=dev_server["API key"],
        ),
    )
    assert micros(response.usage.cost) == moved > 0


def test_langchain_chat_openai_reads_the_cost_buffered_and_counts_tokens_streamed(
    dev_server: dict[str, Any],
) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(
        model=MODEL, base_url=dev_server["base URL"], api_key=dev_server["API key"], max_retries=0
    )
    message, moved = spent(dev_server, lambda: llm.invoke("Hello from a framework"))
    assert micros(message.response_metadata["token_usage"]["cost"]) == moved > 0

    streaming = llm.model_copy(update={"stream_usage": True})
    seen = {g["id"] for g in generations(dev_server)}
    full, moved = spent(dev_server, lambda: functools.reduce(operator.add, streaming.stream("Hello again")))
    assert full.content == "Hello again" and moved > 0
    [latest] = [g for g in generations(dev_server) if g["id"] not in seen]
    assert parse_usd(latest["cost"]) == moved
    assert full.usage_metadata["input_tokens"] == latest["input_tokens"]
    assert full.usage_metadata["output_tokens"] == latest["output_tokens"]
