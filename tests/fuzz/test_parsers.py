"""Every wire-format parser, fed hostile bodies: each returns a canonical request or raises a client error
(4xx, with a message), never anything else."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from empirio.domain.canonical import Request
from empirio.errors import ApiError
from empirio.formats import anthropic_messages, openai_chat, openai_responses
from tests.fuzz.strategies import bodies

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
