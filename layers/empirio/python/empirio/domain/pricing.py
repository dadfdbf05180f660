"""Pricing: what a request's usage costs under a catalog price card, its worst case, and what a balance affords."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from empirio.domain.catalog import Pricing
from empirio.domain.money import MICROS_PER_USD, round_cost

_MTOK = 1_000_000


@dataclass(frozen=True)
class Usage:
    """Priced units of one request. ``cached_input_tokens`` are part of ``input_tokens``; ``reasoning_tokens``
    are part of ``output_tokens`` (OpenAI's convention; Anthropic's cache reads are folded in by the adapter)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    images: int = 0
    audio_seconds: Fraction = Fraction(0)
    video_seconds: Fraction = Fraction(0)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


_ZERO = Fraction(0)


@lru_cache(maxsize=1024)
def _parse(text: str) -> Fraction:
    return Fraction(text)


def _rate(value: object) -> Fraction:
    """A card's rate, exactly (each distinct rate parsed once: price cards are few and immutable)."""
    return _parse(str(value)) if value is not None else _ZERO


def price_parts(usage: Usage, pricing: Pricing) -> dict[str, Fraction]:
    """The exact USD price of each unit the card charges and the usage used (their sum is ``price``)."""
    cached = min(usage.cached_input_tokens, usage.input_tokens)
    cached_rate = (
        pricing.cached_input_per_mtok if pricing.cached_input_per_mtok is not None else pricing.input_per_mtok
    )
    units: tuple[tuple[str, object, int | Fraction, int], ...] = (
        ("input", pricing.input_per_mtok, usage.input_tokens - cached, _MTOK),
        ("cached_input", cached_rate, cached, _MTOK),
        ("output", pricing.output_per_mtok, usage.output_tokens, _MTOK),
        ("request", pricing.per_request, 1, 1),
        ("images", pricing.per_image, usage.images, 1),
        ("audio_seconds", pricing.per_audio_second, usage.audio_seconds, 1),
        ("video_seconds", pricing.per_video_second, usage.video_seconds, 1),
    )
    parts: dict[str, Fraction] = {}
    for unit, rate, quantity, per in units:
        if quantity and rate is not None:
            value = _rate(rate) * quantity / per
            if value:
                parts[unit] = value
    return parts


def price(usage: Usage, pricing: Pricing) -> Fraction:
    """The exact USD cost of ``usage``. Cached input tokens use the cached rate when the card has one."""
    return sum(price_parts(usage, pricing).values(), _ZERO)


@dataclass(frozen=True)
class Cost:
    """What a request cost, as an answer shows it: the charge in micro-USD (the price rounded up once, and never
    more than the hold) and the exact price of each part."""

    micros: int
    parts: dict[str, Fraction]


def cost_micros(usage: Usage, pricing: Pricing) -> int:
    """The charge for ``usage`` in micro-USD (the one rounding rule: up, once per request)."""
    return round_cost(price(usage, pricing))


def worst_case_micros(pricing: Pricing, prompt_tokens: int, max_output_tokens: int) -> int:
    """The hold for a request: every prompt token uncached and every allowed output token generated."""
    return cost_micros(Usage(input_tokens=prompt_tokens, output_tokens=max_output_tokens), pricing)


def affordable_output_tokens(
    pricing: Pricing, prompt_tokens: int, available_micros: int, ceiling: int
) -> int:
    """The largest output cap ≤ ``ceiling`` whose worst case fits in ``available_micros`` (0 when none does)."""
    base = worst_case_micros(pricing, prompt_tokens, 0)
    if base > available_micros:
        return 0
    out_rate = _rate(pricing.output_per_mtok)
    if out_rate == 0:
        return ceiling
    # Largest n with ceil(cost(n)) ≤ available ⇔ exact cost(n) ≤ available (available is whole micro-USD).
    exact_base = price(Usage(input_tokens=prompt_tokens), pricing) * MICROS_PER_USD
    per_token = out_rate * MICROS_PER_USD / _MTOK
    n = int((available_micros - exact_base) / per_token)
    return max(0, min(ceiling, n))
