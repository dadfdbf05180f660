"""The shipped catalog: every endpoint it lists for a model is served (one model of each endpoint is called and
none answers 404), and the filters list only models that can be called on what they ask for."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from empirio.domain import wav
from empirio.providers.local import png

BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5},
    "/v1/responses": {"input": "hi", "max_output_tokens": 16},
    "/v1/messages": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5},
    "/v1/embeddings": {"input": "hi"},
    "/v1/images/generations": {"prompt": "a fox", "size": "16x16"},
    "/v1/audio/speech": {"input": "hi", "voice": "alloy", "response_format": "wav"},
    "/v1/videos": {"prompt": "a fox", "seconds": "4"},
}


def test_one_model_of_every_listed_endpoint_answers(client: Any, operator: Any) -> None:
    account = operator.create_account("catalog", "10.00")
    key = operator.create_key(account["id"])
    headers = {"Authorization": f"Bearer {key}"}
    listed = client.get("/v1/models", headers=headers).json()["data"]
    endpoints = {e for m in listed for e in m["endpoints"]}
    assert {
        "/v1/embeddings",
        "/v1/images/generations",
        "/v1/audio/speech",
        "/v1/audio/transcriptions",
        "/v1/videos",
    } <= endpoints
    for endpoint in sorted(endpoints):
        candidates = [m["id"] for m in listed if endpoint in m["endpoints"]]
        model = next((c for c in candidates if c.startswith("local/")), candidates[0])
        if endpoint == "/v1/audio/transcriptions":
            clip = wav.build(Fraction(1), "one second")
            response = client.post(
                endpoint, headers=headers, data={"model": model}, files={"file": ("a.wav", clip, "audio/wav")}
            )
        elif endpoint == "/v1/images/edits":
            image = png(4, 4, b"\x01\x02\x03\x04\x05\x06")
            response = client.post(
                endpoint,
                headers=headers,
                data={"model": model, "prompt": "brighter", "size": "16x16"},
                files={"image": ("a.png", image, "image/png")},
            )
        else:
            response = client.post(endpoint, headers=headers, json={"model": model, **BODIES[endpoint]})
        assert response.status_code != 404, (endpoint, model, response.text)
        if model.startswith("local/"):
            assert response.status_code == 200, (endpoint, model, response.text)


def test_the_filters_list_only_models_that_work(client: Any, operator: Any) -> None:
    account = operator.create_account("filters", "1.00")
    headers = {"Authorization": f"Bearer {operator.create_key(account['id'])}"}
    embeddings = client.get("/v1/models", params={"endpoint": "/v1/embeddings"}, headers=headers).json()[
        "data"
    ]
    assert embeddings and all("/v1/embeddings" in m["endpoints"] for m in embeddings)
    assert "local/embed" in {m["id"] for m in embeddings}
    images = client.get("/v1/models", params={"modality": "image"}, headers=headers).json()["data"]
    assert images and all(m["endpoints"] for m in images)
    videos = client.get("/v1/models", params={"endpoint": "/v1/videos"}, headers=headers).json()["data"]
    assert {m["id"] for m in videos} == {"bedrock/luma.ray-v2", "local/video"}  # sora-2 and Nova Reel retired
    speech = client.get("/v1/models", params={"endpoint": "/v1/audio/speech"}, headers=headers).json()["data"]
    assert {"aws/polly-neural", "local/speech"} <= {m["id"] for m in speech}


def test_a_retired_model_answers_410_naming_its_replacement_and_is_not_listed(
    client: Any, operator: Any
) -> None:
    account = operator.create_account("retired", "1.00")
    headers = {"Authorization": f"Bearer {operator.create_key(account['id'])}"}
    response = client.post(
        "/v1/images/generations", headers=headers, json={"model": "openai/gpt-image-1", "prompt": "a fox"}
    )
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "model_retired" and "openai/gpt-image-2.6-sunburst" in error["message"]
    listed = {m["id"]: m for m in client.get("/v1/models", headers=headers).json()["data"]}
    assert "openai/gpt-image-1" not in listed
    assert listed["openai/whisper-1"]["retires_on"] == "2027-02-26"  # announced, still served
    assert listed["openai/whisper-1"]["replacement"] == "openai/gpt-transcribe"
    messages = client.post(
        "/v1/messages",
        headers=headers,
        json={
            "model": "openai/gpt-image-1",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": "hi"}],
        },
    )
    assert messages.status_code == 410 and messages.json()["type"] == "error"
