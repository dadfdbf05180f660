"""Hostile input through the whole app: no 5xx, and every refusal in the endpoint's own error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import HEADERS, bodies, header_values, holds_invalid_text, serialized, texts

ENDPOINTS = [
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/messages",
    "/v1/messages/count_tokens",
    "/v1/estimate",
]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_in_shape(path: str, response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code < 400:
        return
    body = response.json()
    if path.startswith("/v1/messages"):
        assert body["type"] == "error" and set(body["error"]) == {"type", "message"}, body
    else:
        assert set(body["error"]) == {"message", "type", "param", "code"}, body
    request_id = response.headers.get("x-request-id", "")
    request_id = (
        request_id[0] if isinstance(request_id, list) else request_id
    )  # schemathesis: lists of values
    assert request_id.startswith("req_")


@pytest.fixture
def post(client: Any, api_key: str) -> Iterator[Any]:
    headers = {"Authorization": f"Bearer {api_key}", "x-api-key": api_key, "content-type": "application/json"}

    def send(path: str, content: bytes, raw_headers: Any = (), **extra: str) -> Any:
        return client.post(path, content=content, headers=[*{**headers, **extra}.items(), *raw_headers])

    yield send


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(body=bodies("local/echo"), escaped=st.booleans())
def test_hostile_json_never_gets_a_5xx_and_text_that_is_not_unicode_gets_400(
    post: Any, path: str, body: Any, escaped: bool
) -> None:
    raw = serialized(body, escaped)
    response = post(path, raw)
    assert_in_shape(path, response)
    if holds_invalid_text(json.loads(raw)):  # what the server decodes ("\ud83d\ude00" is one character)
        assert response.status_code == 400, response.text[:300]


@pytest.mark.parametrize("path", [*ENDPOINTS, "/v1/embeddings", "/v1/videos", "/v1/chats", "/v1/keys"])
@FUZZ
@given(
    headers=st.dictionaries(st.sampled_from(HEADERS), header_values, max_size=4),
    text=texts(20),
)
def test_any_bytes_in_header_values_never_get_a_5xx(
    post: Any, path: str, headers: dict[str, bytes], text: str
) -> None:
    body = {"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}
    body |= {"input": "hi", "prompt": "hi", "name": "k", "title": text if text.isprintable() else "t"}
    raw_headers = [(k.encode(), v) for k, v in headers.items()]
    assert_in_shape(path, post(path, json.dumps(body).encode(), raw_headers=raw_headers))


@pytest.mark.parametrize("path", ["/v1/models", "/v1/videos", "/v1/chats", "/v1/usage", "/v1/keys"])
@FUZZ
@given(query=st.binary(max_size=40), name=st.sampled_from(["after", "limit", "model", "q", "endpoint"]))
def test_any_bytes_in_a_query_string_never_get_a_5xx(
    client: Any, api_key: str, path: str, query: bytes, name: str
) -> None:
    from urllib.parse import quote_from_bytes

    url = f"{path}?{name}={quote_from_bytes(query)}"
    assert_in_shape(path, client.get(url, headers={"Authorization": f"Bearer {api_key}"}))


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_bytes_that_are_not_json_or_not_utf8_get_400(post: Any, path: str, raw: bytes) -> None:
    response = post(path, raw)
    assert_in_shape(path, response)


HUGE = [
    '{"model": "local/echo", "messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
    '{"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e400}',
    '{"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": '
    + "9" * 5000
    + "}",
    '{"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "temperature": NaN}',
    '{"model": "local/echo", "input": "hi", "max_output_tokens": -1e308}',
    '{"model": "' + "x" * 100_000 + '", "messages": []}',
]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("raw", HUGE, ids=["deep", "inf", "long-int", "nan", "negative-huge", "long-model"])
def test_huge_and_deeply_nested_values_get_a_client_error(post: Any, path: str, raw: str) -> None:
    response = post(path, raw.encode())
    assert_in_shape(path, response)
    assert response.status_code != 200 or path.endswith("count_tokens")


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages", "/v1/keys"])
def test_a_body_over_the_limit_is_413_before_it_is_parsed(
    post: Any, client: Any, api_key: str, path: str
) -> None:
    big = b'{"model": "local/echo", "x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = post(path, big)
    assert response.status_code == 413
    assert_in_shape(path, response)

    def chunks() -> Iterator[bytes]:  # no content-length: counted as it arrives
        for _ in range(11):
            yield b"a" * (1024 * 1024)

    auth = {"Authorization": f"Bearer {api_key}", "x-api-key": api_key, "content-type": "application/json"}
    streamed = client.post(path, content=chunks(), headers=auth)
    assert streamed.status_code == 413
    assert_in_shape(path, streamed)


def test_long_query_strings_and_headers_are_refused(client: Any, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    long_query = client.get("/v1/models", params={"q": "x" * 9000}, headers=auth)
    assert long_query.status_code == 414 and long_query.json()["error"]["code"] == "uri_too_long"
    fat = client.get("/v1/models", headers={**auth, "x-padding": "y" * 17_000})
    assert fat.status_code == 431 and fat.json()["error"]["code"] == "headers_too_large"
