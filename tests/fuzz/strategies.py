"""Hostile request bodies: any JSON, wrong types in every known field, unknown content parts, huge values, and
text that is not Unicode (lone surrogates) or is but looks odd (non-characters, NUL, the last code point) in every
string field and key; hostile header values (any bytes, not only Latin-1 text)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Lone surrogates, and valid scalar values that are easy to mishandle; drawn often, not once in 2,000 characters.
ODD_CHARACTERS = ["\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\x00"]
characters = st.one_of(st.characters(exclude_categories=()), st.sampled_from(ODD_CHARACTERS))


def texts(max_size: int) -> st.SearchStrategy[str]:
    """Any text, lone surrogates and non-characters included."""
    return st.text(alphabet=characters, max_size=max_size)


def holds_invalid_text(value: Any) -> bool:
    """Whether a JSON value holds a string (or key) UTF-8 cannot encode: the oracle the edge is checked against."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def serialized(value: Any, escaped: bool) -> bytes:
    """A value as a client sends it: every non-ASCII character escaped (\\ud800), or written as UTF-8 (a lone
    surrogate then as the bytes ED A0 80, which no UTF-8 encoder writes but a careless one might)."""
    if escaped:
        return json.dumps(value).encode()
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# Header values as bytes: any byte but CR, LF and NUL (which no HTTP parser hands on), UTF-8 of any text, odd
# characters in it; so an app decoding them as Latin-1, or as UTF-8, is fed what it may trip on.
header_values = st.one_of(
    st.binary(max_size=60).map(lambda b: b.translate(None, b"\r\n\x00")),
    texts(30).map(lambda t: t.encode("utf-8", "surrogatepass").translate(None, b"\r\n\x00")),
)
HEADERS = ["x-title", "http-referer", "idempotency-key", "anthropic-version", "anthropic-beta", "x-max-cost"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts(40),
    st.sampled_from(
        ["user", "assistant", "system", "tool", "developer", "text", "image_url", "auto", "none"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts(12), inner, max_size=4)),
    max_leaves=20,
)
PART_TYPES = [
    "text",
    "image_url",
    "input_text",
    "input_image",
    "image",
    "document",
    "file",
    "input_file",
    "input_audio",
    "tool_use",
    "tool_result",
    "thinking",
    "refusal",
    "output_text",
    "video",
    "weird",
]
parts = st.fixed_dictionaries(
    {"type": st.sampled_from(PART_TYPES)},
    optional={
        "text": json_values,
        "image_url": json_values,
        "source": json_values,
        "content": json_values,
        "id": json_values,
        "name": json_values,
        "input": json_values,
        "file": json_values,
        "input_audio": json_values,
        "tool_use_id": json_values,
    },
)
messages = st.lists(
    st.fixed_dictionaries(
        {
            "role": st.one_of(
                st.sampled_from(["user", "assistant", "system", "tool", "developer"]), json_values
            )
        },
        optional={
            "content": st.one_of(texts(30), st.lists(parts, max_size=3), json_values),
            "tool_calls": json_values,
            "tool_call_id": json_values,
            "name": json_values,
        },
    ),
    max_size=4,
)
FIELDS = [
    "max_tokens",
    "max_completion_tokens",
    "max_output_tokens",
    "temperature",
    "top_p",
    "stop",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "response_format",
    "system",
    "instructions",
    "metadata",
    "reasoning",
    "reasoning_effort",
    "thinking",
    "n",
    "seed",
    "text",
    "previous_response_id",
    "user",
]


def bodies(model: str) -> st.SearchStrategy[Any]:
    """Request bodies for any of the three formats: mostly shaped like a request, sometimes anything at all."""
    shaped = st.fixed_dictionaries(
        {"model": st.one_of(st.just(model), st.just(model + "\ud800"), texts(20), json_values)},
        optional={
            "messages": st.one_of(messages, json_values),
            "input": st.one_of(texts(30), messages, st.lists(parts, max_size=3), json_values),
            **{name: json_values for name in FIELDS},
        },
    )
    return st.one_of(shaped, shaped, shaped, json_values)
