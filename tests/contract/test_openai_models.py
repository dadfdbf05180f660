"""The official openai SDK, changed only in base_url and api_key, lists and retrieves models from the app."""

from typing import Any

import openai
import pytest

from empirio.web.errors import error_body


@pytest.fixture
def sdk(client: Any, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url="http://testserver/v1", api_key=api_key, http_client=client, max_retries=0)


def test_sdk_lists_models_with_pricing_and_capabilities(sdk: openai.OpenAI) -> None:
    models = list(sdk.models.list())
    assert len(models) >= 40
    by_id = {m.id: m for m in models}
    gpt = by_id["openai/gpt-4o"]
    assert gpt.object == "model" and gpt.owned_by == "openai"
    extra: dict[str, Any] = gpt.model_extra or {}
    assert extra["pricing"]["input_per_mtok"] == "2.50"
    assert extra["context_window"] == 128000 and extra["max_output_tokens"] == 16384
    assert "/v1/chat/completions" in extra["endpoints"] and "tools" in extra["supported_parameters"]
    assert {"input", "output"} <= set(extra["modalities"]) and extra["region"]


def test_sdk_retrieves_a_model_whose_id_contains_a_slash(sdk: openai.OpenAI) -> None:
    model = sdk.models.retrieve("anthropic/claude-sonnet-4-5")
    assert model.id == "anthropic/claude-sonnet-4-5" and model.owned_by == "anthropic"
    assert sdk.models.retrieve("local/echo").id == "local/echo"


def test_sdk_sees_an_unknown_model_as_not_found(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as error:
        sdk.models.retrieve("nobody/nothing")
    assert error.value.status_code == 404
    body = error.value.body
    assert (
        isinstance(body, dict)
        and body["code"] == "model_not_found"
        and body["type"] == "invalid_request_error"
    )


def test_sdk_with_a_bad_key_gets_authentication_error(client: Any) -> None:
    sdk = openai.OpenAI(
        base_url="http://testserver/v1", api_key="sk-wrong", http_client=client, max_retries=0
    )
    with pytest.raises(openai.AuthenticationError):
        sdk.models.list()


def test_models_filter_by_modality(client: Any, api_key: str) -> None:
    data = client.get("/v1/models?modality=video", headers={"Authorization": f"Bearer {api_key}"}).json()[
        "data"
    ]
    assert data and all("video" in m["modalities"]["input"] + m["modalities"]["output"] for m in data)


def test_anthropic_routes_get_anthropic_error_shape_and_others_openai() -> None:
    assert error_body("/v1/messages", 404, "m", "invalid_request_error") == {
        "type": "error",
        "error": {"type": "not_found_error", "message": "m"},
    }
    assert error_body("/v1/models", 404, "m", "invalid_request_error", "model", "model_not_found") == {
        "error": {
            "message": "m",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        }
    }
