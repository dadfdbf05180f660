"""An Idempotency-Key over 255 characters is 400 naming the header, in the route's own error shape, on every
route that takes one; it is never cut (two keys differing after the cut would name the same request)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Gateway

CHAT = {"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
ROUTES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/chat/completions", CHAT),
    ("/v1/responses", {"model": "local/echo", "input": "hi", "max_output_tokens": 5}),
    ("/v1/messages", CHAT),
    ("/v1/embeddings", {"model": "local/embed", "input": "hi"}),
    ("/v1/images/generations", {"model": "local/image", "prompt": "hi", "size": "8x8"}),
    ("/v1/audio/speech", {"model": "local/speech", "input": "hi", "voice": "alloy"}),
    ("/v1/videos", {"model": "local/video", "prompt": "hi", "seconds": "1"}),
]
TOO_LONG = "k" * 256


def assert_names_the_header(path: str, response: Any) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
        assert "Idempotency-Key" in body["error"]["message"]
    else:
        assert body["error"]["param"] == "Idempotency-Key"
        assert body["error"]["code"] == "invalid_idempotency_key"
        assert body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("path", "body"), ROUTES, ids=[r[0] for r in ROUTES])
def test_an_inference_key_over_255_characters_is_400_and_nothing_is_held(
    gateway: Gateway, path: str, body: dict[str, Any]
) -> None:
    before = gateway.balance()
    headers = {"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": TOO_LONG}
    assert_names_the_header(path, gateway.client.post(path, json=body, headers=headers))
    assert gateway.balance() == before and not gateway.usage_records()


def test_a_key_of_exactly_255_characters_is_taken_whole(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": "k" * 255}
    first = gateway.client.post("/v1/chat/completions", json=CHAT, headers=headers)
    again = gateway.client.post("/v1/chat/completions", json=CHAT, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"


def test_a_multipart_upload_checks_the_header_too(gateway: Gateway) -> None:
    response = gateway.client.post(
        "/v1/audio/transcriptions",
        data={"model": "local/transcribe"},
        files={"file": ("a.wav", b"RIFF0000WAVE", "audio/wav")},
        headers={"Authorization": f"Bearer {gateway.key}", "Idempotency-Key": TOO_LONG},
    )
    assert_names_the_header("/v1/audio/transcriptions", response)


def test_an_admin_top_up_key_over_255_characters_is_400_not_422(gateway: Gateway) -> None:
    operator = gateway.operator
    before = operator.client.get(f"/admin/accounts/{gateway.account_id}", headers=operator.headers).json()
    response = operator.top_up(gateway.account_id, "5.00", idempotency_key=TOO_LONG)
    assert_names_the_header(f"/admin/accounts/{gateway.account_id}/credits", response)
    after = operator.client.get(f"/admin/accounts/{gateway.account_id}", headers=operator.headers).json()
    assert after["balance"] == before["balance"]
    assert operator.top_up(gateway.account_id, "5.00", idempotency_key="k" * 255).status_code == 200
