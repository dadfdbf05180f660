"""The price card a request with fallbacks is held on covers every candidate's worst case."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.catalog import CatalogModel
from empirio.domain.fallbacks import envelope, falls_back, incompatibility
from empirio.domain.pricing import worst_case_micros

RATE = st.one_of(st.none(), st.decimals(min_value=0, max_value=200, places=2).map(Decimal))


@st.composite
def models(draw: st.DrawFn) -> CatalogModel:
    rates = {unit: draw(RATE) for unit in ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok")}
    if all(v is None for v in rates.values()):
        rates["per_request"] = Decimal("0.01")
    cap = draw(st.integers(1, 64_000))
    return CatalogModel(
        id=f"test/m{draw(st.integers(0, 999))}",
        provider="openai",
        upstream_model="m",
        pricing=rates,  # type: ignore[arg-type]
        context_window=128_000,
        max_output_tokens=cap,
        region="us-east-1",
        modalities={"input": ["text"], "output": ["text"]},  # type: ignore[arg-type]
        endpoints=("/v1/chat/completions",),
    )


@given(st.lists(models(), min_size=1, max_size=5), st.integers(0, 100_000), st.integers(1, 64_000))
def test_the_envelope_holds_at_least_any_candidates_worst_case(
    candidates: list[CatalogModel], prompt: int, cap: int
) -> None:
    held = envelope(candidates)
    assert held.id == candidates[0].id
    hold = worst_case_micros(held.pricing, prompt, min(cap, held.max_output_tokens))
    for model in candidates:
        assert hold >= worst_case_micros(model.pricing, prompt, min(cap, model.max_output_tokens))


def test_which_failures_fall_back_and_which_candidates_cannot_stand_in() -> None:
    assert all(falls_back(s) for s in (429, 502, 503, 504)) and not falls_back(400)
    text = CatalogModel.model_validate(
        {
            "id": "test/text",
            "provider": "openai",
            "upstream_model": "m",
            "pricing": {"input_per_mtok": "1"},
            "context_window": 1000,
            "max_output_tokens": 100,
            "region": "us-east-1",
            "modalities": {"input": ["text"], "output": ["text"]},
            "endpoints": ["/v1/chat/completions"],
        }
    )
    images = text.model_copy(update={"id": "test/img", "endpoints": ("/v1/images/generations",)})
    assert incompatibility(text, text, "/v1/chat/completions") is None
    assert "does not serve" in str(incompatibility(text, images, "/v1/chat/completions"))
