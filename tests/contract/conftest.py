"""Inference fixtures: the fake upstream (real HTTP), a catalog routing test models to it, an account and key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from empirio.context import Context, reset_context
from empirio.providers import registry
from empirio.settings import Settings
from tests.conftest import Operator
from tests.fakes.upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[2]
PROVIDERS = registry.chat_providers()  # every chat provider runs the shared cases (test_matrix, smoke)


@pytest.fixture(scope="session")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream()
    fake.start()
    yield fake
    fake.stop()


def _model(model_id: str, provider: str, upstream_model: str, base_url: str | None) -> dict[str, Any]:
    model: dict[str, Any] = {
        "id": model_id,
        "provider": provider,
        "upstream_model": upstream_model,
        "pricing": {"input_per_mtok": "3.00", "output_per_mtok": "15.00", "cached_input_per_mtok": "0.30"},
        "context_window": 200_000,
        "max_output_tokens": 8_192,
        "region": "us-east-1",
        "modalities": {"input": ["text", "image", "document"], "output": ["text"]},
        "supported_parameters": [
            "max_tokens",
            "temperature",
            "tools",
            "tool_choice",
            "response_format",
            "stream",
        ],
        "endpoints": ["/v1/chat/completions", "/v1/responses", "/v1/messages"],
    }
    if base_url:
        model["base_url"] = base_url
    if provider in ("openai", "anthropic"):
        model["api_key_env"] = f"FAKE_{provider.upper()}_KEY"
    return model


def catalog_for(base: str) -> dict[str, Any]:
    urls = {
        "openai": f"{base}/openai/v1",
        "anthropic": f"{base}/anthropic",
        "bedrock": f"{base}/bedrock",
        "polly": f"{base}/polly",
    }
    models = [_model(f"test/{p}", p, f"{p}-model", urls[p]) for p in ("openai", "anthropic", "bedrock")]
    for scenario in (
        "fail-429",
        "fail-500",
        "fail-503",
        "fail-400",
        "slow",
        "cut",
        "hang",
        "truncated",
        "garbage",
        "html",
        "trickle",
        "surrogate",
    ):
        models += [
            _model(f"test/{p}-{scenario}", p, scenario, urls[p]) for p in ("openai", "anthropic", "bedrock")
        ]
    models.append(
        {
            **_model("local/echo", "local", "echo", None),
            "modalities": {"input": ["text"], "output": ["text"]},
            "pricing": {"input_per_mtok": "1.00", "output_per_mtok": "2.00"},
        }
    )
    models.append(  # ten times test/openai's prices: a fallback whose charge tells which model served
        {
            **_model("test/openai-premium", "openai", "openai-premium-model", urls["openai"]),
            "pricing": {"input_per_mtok": "30.00", "output_per_mtok": "150.00"},
            "max_output_tokens": 4_096,
        }
    )
    for name, provider, upstream_model in (
        ("test/openai-embed", "openai", "text-embedding-3-small"),
        ("test/openai-embed-fail-500", "openai", "fail-500"),
        ("test/bedrock-embed", "bedrock", "amazon.titan-embed-text-v2:0"),
        ("test/bedrock-cohere-embed", "bedrock", "us.cohere.embed-v4:0"),
    ):
        models.append(
            {
                **_model(name, provider, upstream_model, urls[provider]),
                "endpoints": ["/v1/embeddings"],
                "modalities": {"input": ["text"], "output": ["embedding"]},
                "pricing": {"input_per_mtok": "0.02"},
                "supported_parameters": ["dimensions", "encoding_format", "user"],
                "max_output_tokens": 1,
                "context_window": 8191,
            }
        )
    for name, upstream_model, pricing, cap in (
        ("test/openai-image", "gpt-image-1", {"input_per_mtok": "5.00", "output_per_mtok": "40.00"}, 4160),
        ("test/openai-dalle", "dall-e-3", {"per_image": "0.04"}, 1),
        ("test/openai-image-fail-500", "fail-500", {"per_image": "0.04"}, 1),
    ):
        models.append(
            {
                **_model(name, "openai", upstream_model, urls["openai"]),
                "endpoints": ["/v1/images/generations", "/v1/images/edits"],
                "modalities": {"input": ["text", "image"], "output": ["image"]},
                "pricing": pricing,
                "max_output_tokens": cap,
            }
        )
    models.append(
        {
            **_model("test/bedrock-image", "bedrock", "stability.stable-image-core-v1:1", urls["bedrock"]),
            "endpoints": ["/v1/images/generations"],
            "modalities": {"input": ["text"], "output": ["image"]},
            "pricing": {"per_image": "0.04"},
            "max_output_tokens": 1,
        }
    )
    models.append(
        {
            **_model("test/polly", "polly", "neural", urls["polly"]),
            "endpoints": ["/v1/audio/speech"],
            "modalities": {"input": ["text"], "output": ["audio"]},
            "pricing": {"input_per_mtok": "16.00"},
            "max_output_tokens": 1,
            "context_window": 3000,
        }
    )
    models.append(
        {
            **_model("test/openai-tts", "openai", "gpt-4o-mini-tts", urls["openai"]),
            "endpoints": ["/v1/audio/speech"],
            "modalities": {"input": ["text"], "output": ["audio"]},
            "pricing": {"input_per_mtok": "0.60", "output_per_mtok": "12.00"},
            "max_output_tokens": 2000,
        }
    )
    models.append(
        {
            **_model("test/openai-transcribe", "openai", "whisper-1", urls["openai"]),
            "endpoints": ["/v1/audio/transcriptions"],
            "modalities": {"input": ["audio"], "output": ["text"]},
            "pricing": {"per_audio_second": "0.0001"},
        }
    )
    for name, unit, price, endpoint, modalities in (
        ("local/speech", "speech", "0.0002", "/v1/audio/speech", {"input": ["text"], "output": ["audio"]}),
        (
            "local/transcribe",
            "transcribe",
            "0.0001",
            "/v1/audio/transcriptions",
            {"input": ["audio"], "output": ["text"]},
        ),
    ):
        models.append(
            {
                **_model(name, "local", unit, None),
                "endpoints": [endpoint],
                "modalities": modalities,
                "pricing": {"per_audio_second": price},
            }
        )
    models.append(
        {
            **_model("local/image", "local", "image", None),
            "endpoints": ["/v1/images/generations", "/v1/images/edits"],
            "modalities": {"input": ["text", "image"], "output": ["image"]},
            "pricing": {"per_image": "0.01"},
            "max_output_tokens": 1,
        }
    )
    models.append(
        {
            **_model("local/embed", "local", "embed", None),
            "endpoints": ["/v1/embeddings"],
            "modalities": {"input": ["text"], "output": ["embedding"]},
            "pricing": {"input_per_mtok": "0.02"},
            "max_output_tokens": 1,
        }
    )
    for name, provider, upstream_model, price in (
        ("local/video", "local", "video", "0.05"),
        ("test/openai-video", "openai", "sora-2", "0.10"),
        ("test/openai-video-fail", "openai", "fail-job", "0.10"),
        ("test/openai-video-fail-500", "openai", "fail-500", "0.10"),
        ("test/bedrock-video", "bedrock", "luma.ray-v2:0", "1.50"),
        ("test/bedrock-video-fail", "bedrock", "luma.fail-job", "1.50"),
    ):
        models.append(
            {
                **_model(name, provider, upstream_model, None if provider == "local" else urls[provider]),
                "endpoints": ["/v1/videos"],
                "modalities": {"input": ["text", "image"], "output": ["video"]},
                "pricing": {"per_video_second": price},
                "max_output_tokens": 1,
            }
        )
    models.append(  # $4 a request: a few requests spend a balance down (negative-balance tests)
        {
            **_model("test/openai-per-request", "openai", "openai-model", urls["openai"]),
            "pricing": {"input_per_mtok": "0", "output_per_mtok": "0", "per_request": "4.00"},
        }
    )
    models.append(
        {
            **_model("test/images-only", "openai", "dall-e-3", urls["openai"]),
            "endpoints": ["/v1/images/generations"],
            "pricing": {"per_image": "0.04"},
        }
    )
    models[0]["aliases"] = ["gpt-5-codex"]  # what Codex CLI asks for
    models[0]["modalities"] = {"input": ["text", "image", "document", "audio"], "output": ["text"]}
    models[1]["aliases"] = ["claude-sonnet-4-5-20250929"]  # what Claude Code asks for
    return {"models": models}


@dataclass
class Gateway:
    client: Any
    key: str
    account_id: str
    operator: Operator
    context: Context
    upstream: FakeUpstream

    def openai(self, **kwargs: Any) -> openai.OpenAI:
        return openai.OpenAI(
            base_url="http://testserver/v1",
            api_key=self.key,
            http_client=self.client,
            max_retries=0,
            **kwargs,
        )

    def anthropic(self, **kwargs: Any) -> anthropic.Anthropic:
        return anthropic.Anthropic(
            base_url="http://testserver", api_key=self.key, http_client=self.client, max_retries=0, **kwargs
        )

    def balance(self) -> int:
        return self.context.accounts.require(self.account_id).available

    def charged(self) -> int:
        return self.context.accounts.require(self.account_id).charged

    def usage_records(self) -> list[dict[str, Any]]:
        from empirio.store.dynamo import from_item

        items = self.context.client.scan(TableName=self.context.settings.table_name("usage"))["Items"]
        return [from_item(i) for i in items]


@pytest.fixture
def gateway(
    aws: Any,
    client: Any,
    operator: Operator,
    upstream: FakeUpstream,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Gateway:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(catalog_for(upstream.base_url)))
    monkeypatch.setenv("EMPIRIO_CATALOG", str(catalog))
    monkeypatch.setenv("FAKE_OPENAI_KEY", "sk-upstream-openai")
    monkeypatch.setenv("FAKE_ANTHROPIC_KEY", "sk-upstream-anthropic")
    context = Context(Settings.from_env(), client=aws.client)
    reset_context(context)
    account = operator.create_account("inference", "10.00")
    key = operator.create_key(account["id"])
    return Gateway(client, key, account["id"], operator, context, upstream)


def concurrent_statuses(app: Any, count: int, key: str, body: dict[str, Any]) -> list[int]:
    """``count`` chat completions released together (one client each, as separate callers), their statuses."""
    return concurrent_statuses_by_key(app, {key: count}, body)[key]


def concurrent_statuses_by_key(
    app: Any, counts: dict[str, int], body: dict[str, Any]
) -> dict[str, list[int]]:
    """For each key its number of chat completions, all released together; the statuses per key."""
    import threading

    from starlette.testclient import TestClient

    statuses: dict[str, list[int]] = {key: [] for key in counts}
    barrier = threading.Barrier(sum(counts.values()))

    def one(key: str) -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(
                "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=body
            )
            statuses[key].append(response.status_code)

    threads = [threading.Thread(target=one, args=(key,)) for key, n in counts.items() for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def wire_cost(value: Any) -> int:
    """``usage.cost`` as an answer carries it: a JSON number with at most 6 exact decimals, in micro-USD."""
    from decimal import Decimal

    assert isinstance(value, int | float) and not isinstance(value, bool), f"cost is not a number: {value!r}"
    micros = Decimal(repr(value)) * 1_000_000
    assert micros == micros.to_integral_value(), f"cost {value!r} is not a whole number of micro-USD"
    return int(micros)
