"""Every inference endpoint runs the same steps in the same order (functions/inference/gate.py): the key first,
then its scope, then the body; so a refusal says what is wrong first, and nothing is held or read before."""

from __future__ import annotations

import pytest

from tests.contract.conftest import Gateway

POSTS = [
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/messages",
    "/v1/messages/count_tokens",
    "/v1/estimate",
    "/v1/embeddings",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/audio/speech",
    "/v1/audio/transcriptions",
    "/v1/videos",
]
BAD_JSON = b"{not json"
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("path", POSTS)
def test_a_request_without_a_key_is_401_whatever_its_body(gateway: Gateway, path: str) -> None:
    before = gateway.balance()
    response = gateway.client.post(path, content=BAD_JSON, headers=JSON)
    assert response.status_code == 401, response.text
    assert gateway.balance() == before and not gateway.usage_records()


@pytest.mark.parametrize("path", POSTS)
def test_a_key_without_the_inference_scope_is_403_before_its_body_is_read(
    gateway: Gateway, path: str
) -> None:
    manage_only = gateway.operator.create_key(gateway.account_id, ("manage",))
    headers = {**JSON, "Authorization": f"Bearer {manage_only}"}
    response = gateway.client.post(path, content=BAD_JSON, headers=headers)
    assert response.status_code == 403, response.text
    assert "'inference' scope" in response.text


@pytest.mark.parametrize(
    "path", ["/v1/videos", "/v1/videos/video_nothing", "/v1/videos/video_nothing/content"]
)
def test_the_video_job_routes_need_the_inference_scope_too(gateway: Gateway, path: str) -> None:
    manage_only = gateway.operator.create_key(gateway.account_id, ("manage",))
    response = gateway.client.get(path, headers={"Authorization": f"Bearer {manage_only}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"


@pytest.mark.parametrize("path", POSTS)
def test_with_a_key_a_body_that_is_not_json_is_400(gateway: Gateway, path: str) -> None:
    headers = {**JSON, "Authorization": f"Bearer {gateway.key}"}
    response = gateway.client.post(path, content=BAD_JSON, headers=headers)
    assert response.status_code == 400, response.text
