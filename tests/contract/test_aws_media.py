"""AWS's media models through the official SDK, against the fake upstream speaking Bedrock's InvokeModel and
Polly's SynthesizeSpeech over real HTTP (SigV4-signed by boto3): Cohere embeddings charged the tokens Bedrock
counts, Stability images charged per image returned (a filtered one is not), Polly speech charged the characters
Polly bills."""

from __future__ import annotations

import base64
import math
from typing import Any

import openai
import pytest

from empirio.domain import wav
from tests.contract.conftest import Gateway, wire_cost


def _header_cost(raw: Any) -> int:
    return round(float(raw.headers["x-empirio-cost"]) * 1_000_000)


def test_cohere_embeddings_on_bedrock_are_batched_and_charged_bedrocks_token_count(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    texts = [f"document number {i}" for i in range(100)]  # two calls: 96 and 4
    response = client.embeddings.create(
        model="test/bedrock-cohere-embed", input=texts, dimensions=256, encoding_format="float"
    )
    assert len(response.data) == 100 and len(response.data[0].embedding) == 256
    calls = [r for r in gateway.upstream.requests if "cohere.embed" in r["path"]][-2:]
    assert sorted(len(c["body"]["texts"]) for c in calls) == [4, 96]
    assert all(
        c["body"]["input_type"] == "search_document" and c["body"]["output_dimension"] == 256 for c in calls
    )
    counted = sum(len(t.split()) + 1 for t in texts)  # what the fake's header says
    assert response.usage.prompt_tokens == counted
    cost = wire_cost(response.usage.model_extra["cost"])  # type: ignore[index]
    assert cost == math.ceil(counted * 0.02) == before - gateway.balance()


def test_stability_images_on_bedrock_are_charged_per_image_returned(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    raw = client.images.with_raw_response.generate(
        model="test/bedrock-image", prompt="a lighthouse at dusk", n=2, size="1792x1024"
    )
    response = raw.parse()
    assert len(response.data) == 2 and base64.b64decode(response.data[0].b64_json or "")[:4] == b"\x89PNG"
    sent = gateway.upstream.last("stability.stable-image-core")["body"]
    assert sent == {
        "prompt": "a lighthouse at dusk",
        "aspect_ratio": "16:9",
        "output_format": "png",
        "mode": "text-to-image",
    }
    assert _header_cost(raw) == 80_000 == before - gateway.balance()


def test_a_filtered_stability_image_is_not_charged(gateway: Gateway) -> None:
    before = gateway.balance()
    raw = gateway.openai().images.with_raw_response.generate(
        model="test/bedrock-image", prompt="something filtered", n=1
    )
    assert raw.parse().data == [] and _header_cost(raw) == 0 and gateway.balance() == before


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_polly_speech_is_charged_the_characters_polly_bills(gateway: Gateway, fmt: str) -> None:
    client = gateway.openai()
    before = gateway.balance()
    text = "Hello from Amazon Polly."
    raw = client.audio.speech.with_raw_response.create(
        model="test/polly",
        voice="alloy",
        input=text,
        response_format=fmt,  # type: ignore[arg-type]
    )
    sent = gateway.upstream.last("/polly/v1/speech")["body"]
    assert sent["VoiceId"] == "Joanna" and sent["Engine"] == "neural"
    assert sent["OutputFormat"] == ("pcm" if fmt == "wav" else "mp3")
    audio = raw.content
    if fmt == "wav":
        info = wav.read(audio)
        assert info is not None and info.sample_rate == 16_000
        assert float(info.seconds) == pytest.approx(len(text) * 0.05)
        assert raw.headers["content-type"] == "audio/wav"
    else:
        assert audio.startswith(b"ID3") and raw.headers["content-type"] == "audio/mpeg"
    assert _header_cost(raw) == math.ceil(len(text) * 16) == before - gateway.balance()  # $16 per 1M chars
    record = gateway.usage_records()[-1]
    assert record["input_tokens"] == len(text) and record["cost"] == _header_cost(raw)


def test_a_voice_polly_lacks_is_a_400_and_nothing_is_charged(gateway: Gateway) -> None:
    before = gateway.balance()
    with pytest.raises(openai.BadRequestError):
        gateway.openai().audio.speech.create(model="test/polly", voice="Brian-not-here", input="hi")
    assert gateway.balance() == before
