"""The shared provider suite (in the style of TensorZero's e2e provider tests): every provider of the table
(providers/registry.py) runs the same case for every endpoint it declares it serves, through the official SDK
and the fake upstream over HTTP, and the balance moves by exactly the charge the answer reports.

A new provider's line in the table makes these cases run for it; a served endpoint with no model of that
provider in the test catalog (tests/contract/conftest.py) fails here rather than going untested."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from empirio.domain import wav
from empirio.domain.money import parse_usd
from empirio.providers import registry
from empirio.providers.local import png
from tests.contract.conftest import Gateway, catalog_for, wire_cost

HELLO = [{"role": "user", "content": "Hello"}]
SCENARIOS = ("fail", "slow", "cut", "hang", "truncated", "garbage", "html", "trickle", "surrogate", "premium")


def _cost_header(raw: Any) -> int:
    return parse_usd(raw.headers["x-empirio-cost"])


def _usage_cost(usage: Any) -> int:
    return wire_cost(usage.model_extra["cost"])


def chat(gw: Gateway, model: str) -> int:
    answer = gw.openai().chat.completions.create(model=model, messages=HELLO, max_tokens=32)  # type: ignore[arg-type]
    assert answer.choices[0].message.content
    return _usage_cost(answer.usage)


def responses(gw: Gateway, model: str) -> int:
    answer = gw.openai().responses.create(model=model, input="Hello", max_output_tokens=32)
    assert answer.output_text
    return _usage_cost(answer.usage)


def messages(gw: Gateway, model: str) -> int:
    answer = gw.anthropic().messages.create(model=model, max_tokens=32, messages=HELLO)  # type: ignore[arg-type]
    assert any(block.type == "text" for block in answer.content)
    return _usage_cost(answer.usage)


def embeddings(gw: Gateway, model: str) -> int:
    raw = gw.openai().embeddings.with_raw_response.create(model=model, input="hello world")
    assert raw.parse().data[0].embedding
    return _cost_header(raw)


def images(gw: Gateway, model: str) -> int:
    raw = gw.openai().images.with_raw_response.generate(model=model, prompt="a cat", n=1, size="1024x1024")
    assert raw.parse().data
    return _cost_header(raw)


def image_edits(gw: Gateway, model: str) -> int:
    source = png(8, 8, b"\x10\x20\x30\x40\x50\x60")
    raw = gw.openai().images.with_raw_response.edit(
        model=model, image=("in.png", source, "image/png"), prompt="make it blue", n=1, size="1024x1024"
    )
    assert raw.parse().data
    return _cost_header(raw)


def speech(gw: Gateway, model: str) -> int:
    raw = gw.openai().audio.speech.with_raw_response.create(model=model, voice="alloy", input="Hello there.")
    assert raw.content
    return _cost_header(raw)


def transcriptions(gw: Gateway, model: str) -> int:
    audio = wav.build(Fraction(3, 2), "hello there")
    raw = gw.openai().audio.transcriptions.with_raw_response.create(
        model=model, file=("a.wav", audio, "audio/wav")
    )
    assert raw.parse().text is not None
    return _cost_header(raw)


def videos(gw: Gateway, model: str) -> int:
    seconds = "5" if "bedrock" in model else "4"  # Luma Ray 2 makes 5 or 9 seconds
    job = gw.openai().videos.create(model=model, prompt="a cat on a boat", seconds=seconds)  # type: ignore[arg-type]
    assert job.status in {"queued", "in_progress", "completed"}
    account = gw.context.accounts.require(gw.account_id)
    assert account.held + account.charged > 0  # held at creation, charged when the job ends
    return -1  # the charge comes when the job ends (tests/contract/test_videos.py follows it there)


CASES: dict[str, Callable[[Gateway, str], int]] = {
    "/v1/chat/completions": chat,
    "/v1/responses": responses,
    "/v1/messages": messages,
    registry.EMBEDDINGS: embeddings,
    registry.IMAGES: images,
    registry.IMAGE_EDITS: image_edits,
    registry.SPEECH: speech,
    registry.TRANSCRIPTIONS: transcriptions,
    registry.VIDEOS: videos,
}
PAIRS = sorted((name, endpoint) for name, spec in registry.PROVIDERS.items() for endpoint in spec.serves)


def model_for(provider: str, endpoint: str) -> str:
    """The test catalog's plain model of ``provider`` that serves ``endpoint`` (none of the fault scenarios)."""
    for model in catalog_for("http://127.0.0.1:9")["models"]:
        names = f"{model['id']} {model['upstream_model']}"
        served = model["provider"] == provider and endpoint in model.get("endpoints", [])
        if served and not any(scenario in names for scenario in SCENARIOS):
            return str(model["id"])
    raise AssertionError(
        f"no test model of {provider} serves {endpoint}: add one to tests/contract/conftest.py"
    )


def test_every_endpoint_a_provider_may_serve_has_a_case() -> None:
    assert set(CASES) == registry.EVERY


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks videos.* deprecated
@pytest.mark.parametrize(("provider", "endpoint"), PAIRS)
def test_each_provider_answers_each_endpoint_it_serves(
    gateway: Gateway, provider: str, endpoint: str
) -> None:
    model = model_for(provider, endpoint)
    before = gateway.balance()
    charged = CASES[endpoint](gateway, model)
    account = gateway.context.accounts.require(gateway.account_id)
    if charged >= 0:  # an answered request: settled, its charge taken, one record of that cost
        assert account.held == 0 and before - account.available == charged > 0
        [record] = gateway.usage_records()
        assert record["cost"] == charged and record["provider"] == provider and record["model"] == model
