"""Text that is not Unicode (a lone surrogate, from a JSON escape or from the bytes a surrogate would encode to) is
400 in each endpoint's own error shape, naming the field, on every route that takes text; non-characters and
surrogate pairs are valid text and pass."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2 as httpx
import openai
import pytest

from tests.contract.conftest import Gateway

LONE = "a\ud800b"
CHAT = {"model": "local/echo", "messages": [{"role": "user", "content": LONE}], "max_tokens": 5}
ROUTES: list[tuple[str, dict[str, Any], str]] = [
    ("/v1/chat/completions", CHAT, "messages[0].content"),
    ("/v1/responses", {"model": "local/echo", "input": LONE, "max_output_tokens": 5}, "input"),
    ("/v1/messages", CHAT, "messages[0].content"),
    (
        "/v1/messages/count_tokens",
        {"model": "local/echo", "messages": CHAT["messages"]},
        "messages[0].content",
    ),
    ("/v1/estimate", {"endpoint": "/v1/chat/completions", "body": CHAT}, "body.messages[0].content"),
    ("/v1/embeddings", {"model": "local/embed", "input": ["ok", LONE]}, "input[1]"),
    ("/v1/images/generations", {"model": "local/image", "prompt": LONE, "size": "8x8"}, "prompt"),
    ("/v1/audio/speech", {"model": "local/speech", "input": LONE, "voice": "alloy"}, "input"),
    ("/v1/videos", {"model": "local/video", "prompt": LONE, "seconds": "1"}, "prompt"),
    ("/v1/chats", {"title": LONE, "messages": []}, "title"),
]
MODEL_IDS = [path for path, body, _ in ROUTES if "model" in body]


def post_raw(gateway: Gateway, path: str, raw: bytes, **headers: str) -> Any:
    auth = {"Authorization": f"Bearer {gateway.key}", "x-api-key": gateway.key}
    return gateway.client.post(
        path, content=raw, headers={**auth, "content-type": "application/json", **headers}
    )


def assert_refused_as_invalid_text(path: str, response: Any, param: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and set(body["error"]) == {"type", "message"}
        assert body["error"]["type"] == "invalid_request_error"
        assert f"'{param}'" in body["error"]["message"]
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}
        assert body["error"]["type"] == "invalid_request_error"
        assert body["error"]["param"] == param and body["error"]["code"] == "invalid_unicode"
    assert "U+D800" in response.text


@pytest.mark.parametrize(("path", "body", "param"), ROUTES, ids=[r[0] for r in ROUTES])
def test_a_lone_surrogate_escape_is_400_naming_the_field(
    gateway: Gateway, path: str, body: dict[str, Any], param: str
) -> None:
    before = gateway.balance()
    response = post_raw(gateway, path, json.dumps(body).encode())  # json.dumps writes it as "\ud800"
    assert_refused_as_invalid_text(path, response, param)
    assert gateway.balance() == before


@pytest.mark.parametrize("path", MODEL_IDS)
def test_a_lone_surrogate_in_the_model_id_is_400(gateway: Gateway, path: str) -> None:
    body = next(b for p, b, _ in ROUTES if p == path)
    response = post_raw(gateway, path, json.dumps({**body, "model": "local/\udfff"}).encode())
    assert response.status_code == 400, response.text
    assert "U+DFFF" in response.text


def test_the_bytes_of_an_encoded_surrogate_are_refused_too(gateway: Gateway) -> None:
    raw = b'{"model": "local/echo", "messages": [{"role": "user", "content": "a\xed\xa0\x80b"}]}'
    response = post_raw(gateway, "/v1/chat/completions", raw)
    assert_refused_as_invalid_text("/v1/chat/completions", response, "messages[0].content")


def test_a_lone_surrogate_in_a_key_names_the_object(gateway: Gateway) -> None:
    raw = json.dumps({**CHAT, "messages": [{"role": "user", "content": "hi"}], "metadata": {"\udc00": "x"}})
    response = post_raw(gateway, "/v1/chat/completions", raw.encode())
    assert response.status_code == 400 and response.json()["error"]["param"] == "metadata"
    assert "A key of 'metadata'" in response.json()["error"]["message"]


def test_the_route_decodes_json_whatever_content_type_it_was_sent_with(gateway: Gateway) -> None:
    response = post_raw(
        gateway, "/v1/chat/completions", json.dumps(CHAT).encode(), **{"content-type": "text/plain"}
    )
    assert_refused_as_invalid_text("/v1/chat/completions", response, "messages[0].content")


@pytest.mark.parametrize(
    "text",
    ["\ufffe\uffff\ufdd0", "\U0001f600 pair", "\U0010ffff", "\\ud800 is only written here", "\x00"],
    ids=["non-characters", "surrogate-pair", "last-code-point", "escaped-backslash", "nul"],
)
def test_valid_text_that_looks_odd_is_answered(gateway: Gateway, text: str) -> None:
    body = {**CHAT, "messages": [{"role": "user", "content": text}]}
    for ensure_ascii in (True, False):  # "\ud83d\ude00" escapes and raw UTF-8 alike
        raw = json.dumps(body, ensure_ascii=ensure_ascii).encode("utf-8")
        response = post_raw(gateway, "/v1/chat/completions", raw)
        assert response.status_code == 200, response.text
    counted = post_raw(gateway, "/v1/messages/count_tokens", json.dumps(body).encode())
    assert counted.status_code == 200 and counted.json()["input_tokens"] > 0


def test_a_non_character_model_id_is_a_plain_404(gateway: Gateway) -> None:
    body = {**CHAT, "model": "\ufffe\ufdd0", "messages": [{"role": "user", "content": "hi"}]}
    response = post_raw(gateway, "/v1/chat/completions", json.dumps(body).encode())
    assert response.status_code == 404, response.text
    assert "\ufffe\ufdd0" in response.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/v1/audio/transcriptions", "/v1/images/edits", "/v1/videos"])
def test_a_multipart_form_in_a_charset_that_decodes_to_surrogates_is_400(gateway: Gateway, path: str) -> None:
    boundary = "b0undary"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n+2AA-\r\n--{boundary}--\r\n'
    ).encode()
    response = post_raw(
        gateway, path, form, **{"content-type": f"multipart/form-data; boundary={boundary}; charset=utf-7"}
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "Content-Type"


class JavaScriptLikeTransport(httpx.BaseTransport):
    """What a JavaScript client sends for a string holding a lone surrogate (JSON.stringify writes "\\ud800"; the
    Python SDKs cannot encode one at all): ``PLACEHOLDER`` in a request body becomes that escape."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read().replace(PLACEHOLDER.encode(), rb"\ud800")
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"content-length"]
        return self.inner.handle_request(
            httpx.Request(request.method, request.url, headers=headers, content=body)
        )


PLACEHOLDER = "LONE-SURROGATE"


def javascript_like(gateway: Gateway) -> httpx.Client:
    return httpx.Client(
        base_url="http://testserver", transport=JavaScriptLikeTransport(gateway.client._transport)
    )


def test_the_openai_sdk_gets_its_bad_request_error_naming_the_field(gateway: Gateway) -> None:
    client = openai.OpenAI(
        base_url="http://testserver/v1",
        api_key=gateway.key,
        http_client=javascript_like(gateway),
        max_retries=0,
    )
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="local/echo", messages=[{"role": "user", "content": f"a{PLACEHOLDER}b"}]
        )
    assert refused.value.status_code == 400
    assert refused.value.param == "messages[0].content" and refused.value.code == "invalid_unicode"


def test_the_anthropic_sdk_gets_its_bad_request_error(gateway: Gateway) -> None:
    client = anthropic.Anthropic(
        base_url="http://testserver", api_key=gateway.key, http_client=javascript_like(gateway), max_retries=0
    )
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.messages.create(
            model="local/echo", max_tokens=5, messages=[{"role": "user", "content": "ok"}], system=PLACEHOLDER
        )
    assert refused.value.status_code == 400
    assert isinstance(refused.value.body, dict)
    assert refused.value.body["error"]["type"] == "invalid_request_error"
    assert "'system'" in refused.value.body["error"]["message"]
