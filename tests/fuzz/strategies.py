"""Hostile request bodies: any JSON, wrong types in every known field, unknown content parts, huge values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["user", "assistant", "system", "tool", "developer", "text", "image_url", "auto", "none"]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
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
            "content": st.one_of(st.text(max_size=30), st.lists(parts, max_size=3), json_values),
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
        {"model": st.one_of(st.just(model), json_values)},
        optional={
            "messages": st.one_of(messages, json_values),
            "input": st.one_of(st.text(max_size=30), messages, st.lists(parts, max_size=3), json_values),
            **{name: json_values for name in FIELDS},
        },
    )
    return st.one_of(shaped, shaped, shaped, json_values)
