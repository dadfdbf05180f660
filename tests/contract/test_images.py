"""``POST /v1/images/generations`` with the official SDK: local/image (real PNGs), a GPT-image upstream (tokens)
and a dall-e upstream (per image), each charged exactly what it reports, and nothing for a failure."""

from __future__ import annotations

import base64
import math
import struct
import zlib
from typing import Any

import openai
import pytest

from tests.contract.conftest import Gateway

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _cost_header(raw: Any) -> int:
    return round(float(raw.headers["x-empirio-cost"]) * 1_000_000)


def test_local_image_answers_real_pngs_of_the_size_and_charges_per_image(gateway: Gateway) -> None:
    client = gateway.openai()
    before = gateway.balance()
    raw = client.images.with_raw_response.generate(model="local/image", prompt="a red fox", n=2, size="64x32")
    response = raw.parse()
    assert len(response.data) == 2
    for image in response.data:
        data = base64.b64decode(image.b64_json or "")
        assert png_size(data) == (64, 32)
        assert zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])  # a valid PNG stream
    assert response.data[0].b64_json != response.data[1].b64_json
    assert _cost_header(raw) == 2 * 10_000  # $0.01 an image
    assert response.usage is not None and response.usage.model_extra["cost"] == 0.02  # type: ignore[union-attr]
    assert gateway.balance() == before - 20_000
    record = gateway.usage_records()[-1]
    assert (
        record["endpoint"] == "/v1/images/generations" and record["images"] == 2 and record["cost"] == 20_000
    )


def test_a_gpt_image_upstream_is_charged_its_tokens(gateway: Gateway) -> None:
    before = gateway.balance()
    raw = gateway.openai().images.with_raw_response.generate(model="test/openai-image", prompt="a fox", n=3)
    response = raw.parse()
    assert len(response.data) == 3 and response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (150, 150)
    expected = math.ceil((150 * 5 + 150 * 40) / 1_000_000 * 1_000_000)  # $5 / $40 per million
    assert _cost_header(raw) == expected == before - gateway.balance()
    sent = gateway.upstream.last("/images/generations")["body"]
    assert sent == {"model": "gpt-image-1", "prompt": "a fox", "n": 3}


def test_a_dall_e_upstream_answers_urls_and_is_charged_per_image(gateway: Gateway) -> None:
    before = gateway.balance()
    raw = gateway.openai().images.with_raw_response.generate(
        model="test/openai-dalle", prompt="a fox", n=2, size="1024x1024", quality="hd", response_format="url"
    )
    response = raw.parse()
    assert all(image.url for image in response.data) and response.data[0].revised_prompt == "a fox"
    assert _cost_header(raw) == 80_000 == before - gateway.balance()
    sent = gateway.upstream.last("/images/generations")["body"]
    assert sent["size"] == "1024x1024" and sent["quality"] == "hd" and sent["response_format"] == "url"


def test_a_failed_generation_costs_nothing(gateway: Gateway) -> None:
    before = gateway.balance()
    with pytest.raises(openai.InternalServerError):
        gateway.openai().images.generate(model="test/openai-image-fail-500", prompt="a fox")
    assert gateway.balance() == before
    assert gateway.usage_records()[-1]["billing_status"] == "not_charged"


def test_the_hold_covers_every_image_a_request_may_take(gateway: Gateway) -> None:
    """Ten images at $0.04 must fit in the balance before anything is asked of the upstream."""
    poor = gateway.operator.create_account("poor", "0.30")
    key = gateway.operator.create_key(poor["id"])
    headers = {"Authorization": f"Bearer {key}"}
    refused = gateway.client.post(
        "/v1/images/generations", headers=headers, json={"model": "test/openai-dalle", "prompt": "x", "n": 10}
    )
    assert refused.status_code == 402
    assert gateway.context.accounts.require(poor["id"]).available == 300_000
    ok = gateway.client.post(
        "/v1/images/generations", headers=headers, json={"model": "test/openai-dalle", "prompt": "x", "n": 7}
    )
    assert ok.status_code == 200 and gateway.context.accounts.require(poor["id"]).available == 20_000


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "local/image"}, 400, "prompt"),
        ({"model": "local/image", "prompt": "x", "n": 11}, 400, "n"),
        ({"model": "local/image", "prompt": "x", "size": "big"}, 400, "size"),
        ({"model": "local/image", "prompt": "x", "quality": "ultra"}, 400, "quality"),
        ({"model": "local/embed", "prompt": "x"}, 400, "model"),
        ({"model": "nope/nothing", "prompt": "x"}, 404, "model"),
    ],
)
def test_bad_image_requests_get_openai_errors(
    gateway: Gateway, body: dict[str, Any], status: int, param: str
) -> None:
    response = gateway.client.post(
        "/v1/images/generations", headers={"Authorization": f"Bearer {gateway.key}"}, json=body
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param


def test_edits_take_the_uploaded_images_and_are_charged_like_generations(gateway: Gateway) -> None:
    from empirio.providers.local import png

    source = png(8, 8, b"\x10\x20\x30\x40\x50\x60")
    client = gateway.openai()
    before = gateway.balance()
    raw = client.images.with_raw_response.edit(
        model="local/image", image=("in.png", source, "image/png"), prompt="make it blue", n=2, size="16x16"
    )
    edited = raw.parse()
    assert len(edited.data) == 2 and png_size(base64.b64decode(edited.data[0].b64_json or "")) == (16, 16)
    assert _cost_header(raw) == 20_000 == before - gateway.balance()
    other = client.images.edit(
        model="local/image", image=("in.png", source + b"x", "image/png"), prompt="make it blue"
    )
    assert other.data[0].b64_json != edited.data[0].b64_json  # the upload is part of the result

    upstream = client.images.with_raw_response.edit(
        model="test/openai-image",
        image=[("a.png", source, "image/png"), ("b.png", source, "image/png")],
        mask=("mask.png", source, "image/png"),
        prompt="combine them",
    )
    assert upstream.parse().usage.input_tokens == 50  # type: ignore[union-attr]
    sent = gateway.upstream.last("/images/edits")["body"]
    assert sent["image[]"]["filename"] in {"a.png", "b.png"} and sent["mask"]["filename"] == "mask.png"
    assert sent["model"] == "gpt-image-1" and sent["prompt"] == "combine them"


def test_an_edit_without_an_image_is_a_400(gateway: Gateway) -> None:
    response = gateway.client.post(
        "/v1/images/edits",
        headers={"Authorization": f"Bearer {gateway.key}"},
        data={"model": "local/image", "prompt": "x"},
        files={"other": ("x.txt", b"x", "text/plain")},
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "image"
