from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.money import InvalidAmountError, format_usd, parse_usd, rate, round_cost


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("10.00", 10_000_000),
        ("0.000001", 1),
        ("5", 5_000_000),
        ("0", 0),
        ("1.5", 1_500_000),
        ("123.456789", 123_456_789),
    ],
)
def test_parse_usd_reads_exact_micro_usd(text: str, micros: int) -> None:
    assert parse_usd(text) == micros


@pytest.mark.parametrize(
    "text", ["", "-1.00", "1e3", "1.0000001", " 1.00", "1,000.00", "abc", ".5", "01.00", "NaN"]
)
def test_parse_usd_refuses_anything_but_a_plain_decimal(text: str) -> None:
    with pytest.raises(InvalidAmountError):
        parse_usd(text)


@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_is_the_identity(micros: int) -> None:
    assert parse_usd(format_usd(micros)) == micros


def test_format_usd_keeps_two_to_six_decimals() -> None:
    assert format_usd(10_000_000) == "10.00"
    assert format_usd(1_500_000) == "1.50"
    assert format_usd(1) == "0.000001"
    assert format_usd(-2_500_000) == "-2.50"


@given(st.fractions(min_value=0, max_value=10**6))
def test_round_cost_rounds_up_by_less_than_one_micro(usd: Fraction) -> None:
    micros = round_cost(usd)
    assert micros >= usd * 1_000_000 > micros - 1


def test_rates_are_exact() -> None:
    # $0.075 per million tokens times one million tokens is exactly 75 000 micro-USD, no float drift.
    assert round_cost(rate("0.075") * 1) == 75_000
    assert rate(0.1) == Fraction(1, 10)
