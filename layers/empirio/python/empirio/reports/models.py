"""Catalog views in the OpenAI list shape, with our pricing and capability fields added."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from empirio.domain.catalog import Catalog, CatalogModel
from empirio.errors import NotFoundError
from empirio.providers.registry import serves


def served_endpoints(model: CatalogModel) -> list[str]:
    """The model's endpoints this gateway serves (what the catalog names and an adapter of ours speaks)."""
    return [endpoint for endpoint in model.endpoints if serves(model.provider, endpoint)]


def model_view(model: CatalogModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "object": "model",
        "created": model.created,
        "owned_by": model.owned_by,
        "name": model.name or model.id,
        "provider": model.provider,
        "pricing": {"currency": "USD", **model.pricing.as_json()},
        "region": model.region,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "modalities": {"input": list(model.modalities.input), "output": list(model.modalities.output)},
        "supported_parameters": list(model.supported_parameters),
        "endpoints": served_endpoints(model),
        "aliases": list(model.aliases),
        "retires_on": model.retires_on.isoformat() if model.retires_on else None,
        "replacement": model.replacement,
    }


def list_models(
    catalog: Catalog,
    modality: str | None,
    provider: str | None,
    endpoint: str | None,
    today: date | None = None,
) -> dict[str, Any]:
    """The models that work: filtered as asked, each listed with the endpoints it can be called on, and none
    that no endpoint of ours can serve yet or that its provider has retired (those answer 410 when called)."""
    today = today or datetime.now(UTC).date()
    models = [
        m
        for m in catalog.filter(modality=modality, provider=provider, endpoint=endpoint)
        if not m.retired(today)
    ]
    views = [model_view(m) for m in models]
    return {
        "object": "list",
        "data": [v for v in views if v["endpoints"] and (endpoint is None or endpoint in v["endpoints"])],
    }


def get_model(catalog: Catalog, model_id: str) -> dict[str, Any]:
    model = catalog.get(model_id)
    if model is None:
        raise NotFoundError(
            f"The model '{model_id}' does not exist. GET /v1/models lists the available models.",
            param="model",
            code="model_not_found",
        )
    return model_view(model)
