"""The edge that keeps text that is not Unicode away from every route (web.text), and an error renderer that cannot
be made to fail by what a request echoes into a message (web.errors.printable); driven through a small app made
by the same factory as every family's."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.testclient import TestClient

from empirio.errors import NotFoundError
from empirio.web.app import create_app
from empirio.web.errors import error_body, printable
from empirio.web.text import first_invalid_text, form_charset_refusal

router = APIRouter()


@router.post("/echo")
async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


@router.post("/v1/messages/echo-model")
async def echo_model(request: Request) -> Response:
    """As a route that names what it was sent in its error would (a model id, say)."""
    raise NotFoundError(
        f"The model '{request.query_params['model']}\ud800' does not exist.", param="model\udc00"
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(router)) as test_client:
        yield test_client


def test_a_body_sent_in_chunks_is_checked_whole_and_handed_on_unchanged(client: TestClient) -> None:
    valid = [b'{"a": "\\ud83d', b'\\ude00", "b": "\xef\xbf\xbe"}']  # a pair split across chunks; U+FFFE
    answered = client.post("/echo", content=iter(valid))
    assert answered.status_code == 200 and answered.content == b"".join(valid)
    lone = [b'{"a": "ok", "b": [1, ', b'"\\ud83d"]}']
    refused = client.post("/echo", content=iter(lone))
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "b[1]"


def test_bodies_that_are_not_json_pass_untouched(client: TestClient) -> None:
    for raw in (b"\xff\xfe\x00garbage \\ud800", b"not json \\ud800", b""):
        answered = client.post("/echo", content=raw)
        assert answered.status_code == 200 and answered.content == raw


def test_an_error_that_echoes_a_lone_surrogate_is_rendered_with_its_escape(client: TestClient) -> None:
    response = client.post("/v1/messages/echo-model?model=x")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "The model 'x\\ud800' does not exist."
    body = error_body("/v1/models", 404, "\ud800", "invalid_request_error", "\udfff")
    assert body["error"] == {
        "message": "\\ud800",
        "type": "invalid_request_error",
        "param": "\\udfff",
        "code": None,
    }


def test_printable_keeps_valid_text_as_it_is() -> None:
    for text in ("plain", "caf\u00e9 \U0001f600 \ufffe\uffff\ufdd0 \U0010ffff \x00"):
        assert printable(text) is text


def test_the_first_invalid_text_is_named_in_document_order() -> None:
    value = {"a": [{"b": "ok"}, {"c": "\ud800"}], "z": "\udc00"}
    invalid = first_invalid_text(value)
    assert invalid is not None and (invalid.param, invalid.char, invalid.in_key) == (
        "a[1].c",
        "\ud800",
        False,
    )
    keyed = first_invalid_text({"meta": {"k" * 100: "x", "\udfff": 1}})
    assert keyed is not None and (keyed.param, keyed.in_key) == ("meta", True)
    long_key = first_invalid_text({"k" * 100: "\ud800"})
    assert long_key is not None and long_key.param == "k" * 61 + "..."
    assert first_invalid_text("\ud800") is not None and first_invalid_text(["\ufffe", 1, None]) is None
    assert json.loads(json.dumps(value))  # the fixture itself is JSON


@pytest.mark.parametrize(
    ("content_type", "refused"),
    [
        (b"multipart/form-data; boundary=x", False),
        (b"multipart/form-data; boundary=x; charset=UTF-8", False),
        (b'multipart/form-data; charset="latin-1"; boundary=x', False),
        (b"multipart/form-data; boundary=x; charset=no-such-codec", False),
        (b"multipart/form-data; boundary=x; charset=utf-7", True),
        (b"multipart/form-data; boundary=x; charset=unicode_escape", True),
        (b"application/json; charset=utf-7", False),
    ],
)
def test_only_a_multipart_charset_that_can_decode_to_a_surrogate_is_refused(
    content_type: bytes, refused: bool
) -> None:
    assert (form_charset_refusal(content_type) is not None) == refused
