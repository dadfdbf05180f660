"""Features of the official SDKs through every provider: image content and JSON-schema answers."""

from __future__ import annotations

import base64
import json

import pytest

from tests.contract.conftest import Gateway

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
def test_image_content_reaches_every_provider_in_its_own_shape(gateway: Gateway, provider: str) -> None:
    content = [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
    ]
    reply = gateway.openai().chat.completions.create(
        model=f"test/{provider}", messages=[{"role": "user", "content": content}]
    )  # type: ignore[list-item, misc]
    assert reply.choices[0].message.content
    sent = gateway.upstream.last(f"/{provider}/")["body"]
    if provider == "openai":
        assert sent["messages"][0]["content"][1]["image_url"]["url"] == f"data:image/png;base64,{PNG}"
    elif provider == "anthropic":
        assert sent["messages"][0]["content"][1]["source"] == {
            "type": "base64",
            "media_type": "image/png",
            "data": PNG,
        }
    else:
        image = sent["messages"][0]["content"][1]["image"]
        assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == base64.b64decode(
            PNG
        )


@pytest.mark.parametrize("provider", ["openai", "anthropic", "bedrock"])
@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_json_schema_response_format(gateway: Gateway, provider: str, stream: bool) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temperature_c": {"type": "number"}},
        "required": ["city", "temperature_c"],
        "additionalProperties": False,
    }
    kwargs = {
        "model": f"test/{provider}",
        "messages": [{"role": "user", "content": "Weather in Boston as JSON"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "weather", "schema": schema, "strict": True},
        },
    }
    sdk = gateway.openai()
    if stream:
        text = "".join(
            c.choices[0].delta.content or ""
            for c in sdk.chat.completions.create(**kwargs, stream=True)  # type: ignore[call-overload]
            if c.choices
        )
    else:
        text = sdk.chat.completions.create(**kwargs).choices[0].message.content or ""  # type: ignore[call-overload]
    assert json.loads(text) == {"city": "Boston", "temperature_c": 21}
    sent = gateway.upstream.last(f"/{provider}/")["body"]
    if provider == "openai":
        assert sent["response_format"]["json_schema"]["schema"] == schema
    else:  # providers without native structured output get the schema as an instruction
        assert "temperature_c" in json.dumps(sent["system"])


def test_parse_helper_of_the_sdk_works(gateway: Gateway) -> None:
    from pydantic import BaseModel

    class Weather(BaseModel):
        city: str
        temperature_c: float

    parsed = gateway.openai().chat.completions.parse(
        model="test/openai",
        messages=[{"role": "user", "content": "Weather in Boston"}],
        response_format=Weather,
    )
    assert parsed.choices[0].message.parsed == Weather(city="Boston", temperature_c=21)
