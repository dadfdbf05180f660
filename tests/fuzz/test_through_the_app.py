"""Hostile input through the whole app: no 5xx, and every refusal in the endpoint's own error shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import bodies

ENDPOINTS = ["/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1/messages/count_tokens"]
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

    def send(path: str, content: bytes, **extra: str) -> Any:
        return client.post(path, content=content, headers={**headers, **extra})

    yield send


@pytest.mark.parametrize("path", ENDPOINTS)
@FUZZ
@given(body=bodies("local/echo"))
def test_hostile_json_never_gets_a_5xx(post: Any, path: str, body: Any) -> None:
    assert_in_shape(path, post(path, json.dumps(body).encode()))


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
