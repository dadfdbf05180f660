"""The embeddings request parser refuses anything malformed with a 400 naming the parameter, never a crash."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from empirio.errors import InvalidRequestError
from empirio.formats.openai_embeddings import encode, parse_request, worst_case_tokens
from empirio.providers.local import embed

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["model", "input", "encoding_format", "dimensions", "user"]), JSON))
def test_any_body_parses_or_is_a_400(body: dict[str, Any]) -> None:
    try:
        parsed = parse_request(body)
    except InvalidRequestError as error:
        assert error.status == 400 and error.param
        return
    assert parsed.inputs and worst_case_tokens(parsed) >= len(parsed.inputs)


@given(st.lists(st.text(min_size=1, max_size=50), min_size=1, max_size=5))
def test_the_worst_case_covers_the_local_count(texts: list[str]) -> None:
    request = parse_request({"model": "local/embed", "input": texts})
    assert embed(request).prompt_tokens <= worst_case_tokens(request)


def test_base64_is_little_endian_float32() -> None:
    encoded = encode([1.0, -0.5], "base64")
    assert isinstance(encoded, str)
    assert struct.unpack("<2f", base64.b64decode(encoded)) == (1.0, -0.5)


def test_a_single_token_array_is_one_input() -> None:
    assert parse_request({"model": "m", "input": [1, 2, 3]}).inputs == ((1, 2, 3),)
    with pytest.raises(InvalidRequestError):
        parse_request({"model": "m", "input": [True]})
