"""Fallback models (OpenRouter's ``models: [...]``): which candidates may stand in for each other, the price card
the hold is planned on, and which upstream failures move on to the next candidate. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from empirio.domain.catalog import PRICING_UNITS, CatalogModel, Pricing


def incompatibility(primary: CatalogModel, candidate: CatalogModel, endpoint: str) -> str | None:
    """Why ``candidate`` cannot stand in for ``primary`` on ``endpoint`` (None when it can): it must serve the
    endpoint and produce the same output modalities."""
    if not candidate.serves(endpoint):
        return f"'{candidate.id}' does not serve {endpoint} (it serves {', '.join(candidate.endpoints)})"
    if set(candidate.modalities.output) != set(primary.modalities.output):
        return (
            f"'{candidate.id}' outputs {', '.join(candidate.modalities.output)} while '{primary.id}' outputs "
            f"{', '.join(primary.modalities.output)}"
        )
    return None


def envelope(candidates: Sequence[CatalogModel]) -> CatalogModel:
    """The model a request is admitted as: the first candidate's identity with every price unit at its highest
    among the candidates and the largest output cap, so the hold covers whichever candidate ends up serving."""
    first = candidates[0]
    if len(candidates) == 1:
        return first
    rates: dict[str, Decimal | None] = {}
    for unit in PRICING_UNITS:
        values = [_rate(m.pricing, unit) for m in candidates]
        present = [v for v in values if v is not None]
        rates[unit] = max(present) if present else None
    return first.model_copy(
        update={
            "pricing": Pricing(**rates),
            "max_output_tokens": max(m.max_output_tokens for m in candidates),
            "context_window": max(m.context_window for m in candidates),
        }
    )


def _rate(pricing: Pricing, unit: str) -> Decimal | None:
    value: Decimal | None = getattr(pricing, unit)
    if unit == "cached_input_per_mtok" and value is None:
        return (
            pricing.input_per_mtok
        )  # cached tokens are charged the input rate when the card has no cache rate
    return value


def falls_back(status: int) -> bool:
    """Whether an upstream failure (the status the client would get) moves on to the next candidate: rate limits,
    timeouts, unreachable or failing upstreams and unavailable models do; a request the upstream refused as
    invalid (400) would be refused by the next one too."""
    return status != 400


@dataclass(frozen=True)
class Attempt:
    """One candidate tried: ``status`` 200 when it served, else the status its failure maps to."""

    model: str
    provider: str
    status: int
    latency_ms: int
    error: str | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "provider": self.provider,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "error": self.error[:200] if self.error else None,
        }
