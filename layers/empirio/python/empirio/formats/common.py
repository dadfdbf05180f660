"""Validation helpers shared by the client formats: every error names the parameter, as OpenAI's do."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from empirio.domain.canonical import Document, Image
from empirio.domain.money import MICROS_PER_USD
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError


def cost_json(cost: Cost) -> dict[str, Any]:
    """``cost`` (USD) and ``cost_details`` as JSON numbers, as OpenRouter answers: a float whose shortest form is
    the exact decimal (micro-USD have at most 6 decimals, so ``7.89e-04`` prints as ``0.000789``'s digits and
    never as a binary artefact). Our management API keeps decimal strings."""
    return {
        "cost": cost.micros / MICROS_PER_USD,
        "cost_details": {unit: float(value) for unit, value in cost.parts.items()},
    }


MAX_MODELS = 5  # a request's model and its fallbacks


def models(body: dict[str, Any]) -> dict[str, Any]:
    """``model`` and its ``fallbacks`` from OpenRouter's ``models: [...]`` (tried in order after ``model``; the
    first is the model when ``model`` is absent), as keyword arguments of the canonical request."""
    listed = optional(body, "models", list)
    if listed is None:
        return {"model": require(body, "model", str)}
    for i, name in enumerate(listed):
        check(name, f"models[{i}]", str)
    if not listed and body.get("model") is None:
        raise InvalidRequestError("'models' must name at least one model.", param="models")
    model = optional(body, "model", str) or listed[0]
    names = list(dict.fromkeys([model, *listed]))
    if len(names) > MAX_MODELS:
        raise InvalidRequestError(
            f"Too many models: at most {MAX_MODELS} (the model and its fallbacks).",
            param="models",
            code="invalid_value",
        )
    return {"model": model, "fallbacks": tuple(names[1:])}


def require(body: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    if name not in body or body[name] is None:
        raise InvalidRequestError(
            f"Missing required parameter: '{where}{name}'.",
            param=f"{where}{name}",
            code="missing_required_parameter",
        )
    return check(body[name], f"{where}{name}", kind)


def optional(body: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    value = body.get(name)
    return None if value is None else check(value, f"{where}{name}", kind)


def check(value: Any, param: str, kind: type | tuple[type, ...]) -> Any:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = not (isinstance(value, bool) and bool not in kinds) and isinstance(value, kinds)
    if not ok:
        names = " or ".join(_names.get(k, k.__name__) for k in kinds)
        raise InvalidRequestError(
            f"Invalid type for '{param}': expected {names}.", param=param, code="invalid_type"
        )
    return value


_names = {
    str: "a string",
    int: "an integer",
    float: "a number",
    list: "an array",
    dict: "an object",
    bool: "a boolean",
}


def number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = optional(body, name, (int, float))
    if value is not None and not low <= value <= high:
        raise InvalidRequestError(
            f"Invalid value for '{name}': must be between {low} and {high}.", param=name, code="invalid_value"
        )
    return None if value is None else float(value)


def positive_int(body: dict[str, Any], *names: str) -> int | None:
    """The first present of ``names`` as an integer ≥ 1."""
    for name in names:
        value = optional(body, name, int)
        if value is not None:
            if value < 1:
                raise InvalidRequestError(
                    f"Invalid value for '{name}': must be at least 1.", param=name, code="invalid_value"
                )
            return int(value)
    return None


def stop_list(value: Any, param: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidRequestError(
        f"Invalid type for '{param}': expected a string or an array of strings.",
        param=param,
        code="invalid_type",
    )


def image_from_url(url: str, param: str) -> Image:
    """An image from a URL or a ``data:`` URL (inline base64)."""
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";")[0] or "image/png"
        if ";base64" not in header:
            raise InvalidRequestError(
                f"Invalid image data URL in '{param}': only base64 is supported.", param=param
            )
        try:
            base64.b64decode(data[:64] + "=" * (-len(data[:64]) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequestError(f"Invalid base64 image in '{param}'.", param=param) from None
        return Image(data=data, media_type=media_type)
    if not url.startswith(("http://", "https://")):
        raise InvalidRequestError(f"Invalid image URL in '{param}'.", param=param, code="invalid_value")
    return Image(url=url)


def document_from_data_url(value: str, param: str, filename: str | None) -> Document:
    """A ``data:application/pdf;base64,...`` URL as a document (only PDFs, inline)."""
    match = re.match(r"^data:([\w.+-]+/[\w.+-]+);base64,(.+)$", value, re.DOTALL)
    if not match:
        raise InvalidRequestError(
            f"'{param}' must be a base64 data URL, e.g. 'data:application/pdf;base64,...'.",
            param=param,
            code="invalid_value",
        )
    if match.group(1) != "application/pdf":
        raise InvalidRequestError(
            f"'{param}': only PDF documents are accepted.", param=param, code="invalid_value"
        )
    return Document(data=match.group(2), media_type="application/pdf", filename=filename)
