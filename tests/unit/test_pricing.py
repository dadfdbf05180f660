"""A request's price is the card's definition, exactly, whatever units it has and the usage uses."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.catalog import PRICING_UNITS, Pricing
from empirio.domain.pricing import Usage, price, price_parts

rates = st.one_of(st.none(), st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False))
seconds = st.fractions(min_value=0, max_value=3600, max_denominator=1000)


@st.composite
def cards(draw: st.DrawFn) -> Pricing:
    values = {unit: draw(rates) for unit in PRICING_UNITS}
    if all(v is None for v in values.values()):
        values["per_request"] = Decimal("0.01")
    return Pricing(**values)


usages = st.builds(
    Usage,
    input_tokens=st.integers(0, 2_000_000),
    output_tokens=st.integers(0, 200_000),
    cached_input_tokens=st.integers(0, 2_000_000),
    images=st.integers(0, 10),
    audio_seconds=seconds,
    video_seconds=seconds,
)


def reference(usage: Usage, card: Pricing) -> Fraction:
    def r(value: Decimal | None) -> Fraction:
        return Fraction(value) if value is not None else Fraction(0)

    cached = min(usage.cached_input_tokens, usage.input_tokens)
    cached_rate = (
        card.cached_input_per_mtok if card.cached_input_per_mtok is not None else card.input_per_mtok
    )
    return (
        r(card.input_per_mtok) * (usage.input_tokens - cached) / 1_000_000
        + r(cached_rate) * cached / 1_000_000
        + r(card.output_per_mtok) * usage.output_tokens / 1_000_000
        + r(card.per_request)
        + r(card.per_image) * usage.images
        + r(card.per_audio_second) * usage.audio_seconds
        + r(card.per_video_second) * usage.video_seconds
    )


@given(usages, cards())
def test_price_is_the_cards_definition_and_the_sum_of_its_parts(usage: Usage, card: Pricing) -> None:
    exact = reference(usage, card)
    assert price(usage, card) == exact
    parts = price_parts(usage, card)
    assert sum(parts.values(), Fraction(0)) == exact
    assert all(value > 0 for value in parts.values())
