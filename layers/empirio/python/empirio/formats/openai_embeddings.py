"""OpenAI's ``POST /v1/embeddings`` (pure): the request, the worst case it can cost, and the answer in the
encoding the client asked for. The official SDK asks for ``base64`` whenever its caller does not choose (and
decodes it), so both encodings are honoured exactly: base64 is the little-endian float32 array."""

from __future__ import annotations

import base64
import struct
from typing import Any

from empirio.domain.media import EmbeddingRequest, Input
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import cost_json

MAX_INPUTS = 2048
MAX_TOKENS_PER_INPUT = 8192


def _invalid(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")


def _token_array(value: list[Any], param: str) -> tuple[int, ...]:
    if not value:
        raise _invalid(f"'{param}' must not be an empty array.", param)
    if not all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in value):
        raise _invalid(f"'{param}' must hold token ids (non-negative integers).", param)
    if len(value) > MAX_TOKENS_PER_INPUT:
        raise _invalid(f"'{param}' has {len(value)} tokens; at most {MAX_TOKENS_PER_INPUT} per input.", param)
    return tuple(value)


def _inputs(value: Any) -> tuple[Input, ...]:
    if isinstance(value, str):
        if not value:
            raise _invalid("'input' must not be empty.", "input")
        return (value,)
    if not isinstance(value, list) or not value:
        raise _invalid("'input' must be a string, an array of strings or an array of token arrays.", "input")
    if all(isinstance(t, int) and not isinstance(t, bool) for t in value):
        return (_token_array(value, "input"),)
    if len(value) > MAX_INPUTS:
        raise _invalid(f"'input' has {len(value)} items; at most {MAX_INPUTS}.", "input")
    out: list[Input] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            if not item:
                raise _invalid(f"'input[{i}]' must not be empty.", f"input[{i}]")
            out.append(item)
        elif isinstance(item, list):
            out.append(_token_array(item, f"input[{i}]"))
        else:
            raise _invalid(f"'input[{i}]' must be a string or an array of token ids.", f"input[{i}]")
    return tuple(out)


def parse_request(body: dict[str, Any]) -> EmbeddingRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("'model' is required: a model id such as 'local/embed'.", param="model")
    if "input" not in body:
        raise InvalidRequestError("'input' is required.", param="input")
    encoding = body.get("encoding_format", "float")
    if encoding not in ("float", "base64"):
        raise _invalid("'encoding_format' must be 'float' or 'base64'.", "encoding_format")
    dimensions = body.get("dimensions")
    if dimensions is not None and (
        not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= 16_384
    ):
        raise _invalid("'dimensions' must be an integer from 1 to 16384.", "dimensions")
    user = body.get("user")
    return EmbeddingRequest(
        model=model,
        inputs=_inputs(body["input"]),
        encoding_format=encoding,
        dimensions=dimensions,
        user=user if isinstance(user, str) else None,
    )


def worst_case_tokens(request: EmbeddingRequest) -> int:
    """Tokens the inputs can be at most: a byte-level tokenizer never makes more tokens than UTF-8 bytes, and a
    token array is exactly its length. The hold on this always covers the charge."""
    return sum(
        len(i.encode("utf-8", "surrogatepass")) if isinstance(i, str) else len(i) for i in request.inputs
    )


def encode(vector: list[float], encoding: str) -> list[float] | str:
    if encoding == "base64":
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
    return vector


def render_response(
    request: EmbeddingRequest, vectors: list[list[float]], *, model: str, prompt_tokens: int, cost: Cost
) -> dict[str, Any]:
    return {
        "object": "list",
        "model": model,
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(vector, request.encoding_format)}
            for i, vector in enumerate(vectors)
        ],
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens, **cost_json(cost)},
    }
