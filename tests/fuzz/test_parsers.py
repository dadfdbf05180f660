"""Every wire-format parser, fed hostile bodies (lone surrogates and non-characters in every string included):
each returns a canonical request or raises a client error (4xx, with a message), never anything else. And the
edge that decodes every body first refuses one exactly when its decoded text is not Unicode."""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empirio.domain.canonical import Request
from empirio.errors import ApiError
from empirio.formats import anthropic_messages, openai_chat, openai_responses
from empirio.web.text import body_refusal
from tests.fuzz.strategies import bodies, holds_invalid_text, json_values, serialized, texts

FORMATS = {"chat": openai_chat, "responses": openai_responses, "messages": anthropic_messages}


@pytest.mark.parametrize("name", FORMATS)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies("local/echo"))
def test_a_parser_accepts_or_refuses_with_a_client_error(name: str, body: Any) -> None:
    fmt: ModuleType = FORMATS[name]
    if not isinstance(body, dict):
        return  # the route refuses non-objects before parsing (tested through the app)
    try:
        parsed = fmt.parse_request(body)
    except ApiError as error:
        assert 400 <= error.status < 500 and error.message
        return
    assert isinstance(parsed, Request)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, escaped=st.booleans())
def test_the_edge_refuses_a_body_exactly_when_its_decoded_text_is_not_unicode(
    value: Any, escaped: bool
) -> None:
    raw = serialized(value, escaped)
    refusal = body_refusal(raw)
    assert (refusal is not None) == holds_invalid_text(json.loads(raw))
    if refusal is not None:
        assert refusal.status == 400 and refusal.param and "U+D" in refusal.message


@settings(max_examples=400, deadline=None)
@given(before=texts(8), after=texts(8), backslashes=st.integers(0, 3), pair=st.booleans())
def test_the_escape_scan_is_not_fooled_by_escaped_backslashes(
    before: str, after: str, backslashes: int, pair: bool
) -> None:
    escapes = "\\ud83d\\ude00" if pair else "\\ude00"  # after an odd run of backslashes, only letters
    inner = json.dumps(before)[1:-1] + "\\" * backslashes + escapes + json.dumps(after)[1:-1]
    raw = ('{"content": "' + inner + '"}').encode()
    assert (body_refusal(raw) is not None) == holds_invalid_text(json.loads(raw))
