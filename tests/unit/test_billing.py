"""Purchase terms, fees and what refunds and disputes take back (pure rules, property-tested)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.billing import (
    AmountError,
    AutoTopUp,
    Profile,
    Purchase,
    Terms,
    alert_action,
    auto_top_up_due,
    usd,
)
from empirio_cli.fake_stripe import parse_form

TERMS = Terms()


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("25.50", 2550),
        ("5", 500),
        ("10000.00", 1_000_000),
        (25, 2500),
        (12.5, 1250),
    ],
)
def test_amounts_parse_to_cents(text: object, cents: int) -> None:
    assert TERMS.parse(text) == cents


@pytest.mark.parametrize(
    "text", ["4.99", "10000.01", "25.001", "-5", "1e3", " ", "", "abc", "0x10", True, None, float("nan")]
)
def test_amounts_outside_the_rules_are_refused(text: object) -> None:
    with pytest.raises(AmountError):
        TERMS.parse(text)


def test_the_fee_is_a_setting_rounded_up_to_the_cent() -> None:
    assert Terms().fee(2500) == 0
    assert Terms(fee_bps=550, fee_fixed_cents=30).fee(2500) == 138 + 30  # 137.5 → 138
    assert Terms(fee_bps=550, fee_fixed_cents=80).describe() == "5.5 % + $0.80"
    assert Terms().describe() == "none"


@given(cents=st.integers(500, 1_000_000))
def test_amount_text_round_trips(cents: int) -> None:
    assert TERMS.parse(usd(cents)) == cents


@given(
    amount=st.integers(500, 1_000_000),
    fee=st.integers(0, 10_000),
    refunds=st.lists(st.integers(1, 1_000_000), max_size=6),
)
def test_refunds_never_take_back_more_than_the_credit_and_never_go_backwards(
    amount: int, fee: int, refunds: list[int]
) -> None:
    purchase = Purchase("pur_x", "acct_x", amount, fee, state="paid")
    cumulative, taken = 0, 0
    for r in refunds:
        cumulative = min(cumulative + r, amount + fee)  # Stripe's amount_refunded, never above the charge
        target = purchase.refund_target(cumulative)
        assert target >= taken  # cumulative: a later event never gives credit back
        assert target <= purchase.credit
        taken = target
    if cumulative == amount + fee:
        assert taken == purchase.credit  # a full refund takes back exactly the credit, the fee is not credit


@given(amount=st.integers(500, 100_000), refunded=st.integers(0, 100_000), disputed=st.integers(0, 200_000))
def test_a_dispute_takes_at_most_what_is_left(amount: int, refunded: int, disputed: int) -> None:
    purchase = Purchase("pur_x", "acct_x", amount, 0, state="paid", refunded=min(refunded, amount) * 10_000)
    take = purchase.dispute_take(disputed)
    assert 0 <= take <= purchase.credit - purchase.refunded


def test_status_shows_disputes_then_refunds_then_the_state() -> None:
    p = Purchase("pur_x", "acct_x", 1000, 0, state="paid")
    assert p.status == "paid"
    assert Purchase("pur_x", "acct_x", 1000, 0, state="paid", refunded=1).status == "refunded"
    assert Purchase("pur_x", "acct_x", 1000, 0, state="paid", refunded=1, disputed=1).status == "disputed"


def test_the_alert_fires_once_per_dip() -> None:
    base = Profile("acct_x", available=5, low_balance_threshold=10)
    assert alert_action(base) == "send"
    assert alert_action(Profile("acct_x", available=5, low_balance_threshold=10, alert_sent=True)) is None
    assert alert_action(Profile("acct_x", available=10, low_balance_threshold=10, alert_sent=True)) == "rearm"
    assert alert_action(Profile("acct_x", available=-5, low_balance_threshold=0)) is None  # no threshold


def test_auto_top_up_is_due_under_the_threshold_within_the_cap() -> None:
    auto = AutoTopUp(
        True,
        threshold=5_000_000,
        amount_cents=1000,
        monthly_cap_cents=2500,
        payment_method="pm",
        customer="cus",
    )
    assert auto_top_up_due(4_999_999, auto, 0) == 1000
    assert auto_top_up_due(5_000_000, auto, 0) == 0
    assert auto_top_up_due(0, auto, 1500) == 1000
    assert auto_top_up_due(0, auto, 1501) == 0  # would pass the cap
    assert auto_top_up_due(0, AutoTopUp(True, 5_000_000, 1000), 0) == 0  # no card saved


def test_stripe_form_encoding_parses_to_nested_values() -> None:
    body = (
        b"mode=payment&line_items[0][quantity]=1&line_items[0][price_data][unit_amount]=2500"
        b"&line_items[1][price_data][unit_amount]=30&metadata[account_id]=acct_1&expand[0]=latest_charge"
    )
    parsed = parse_form(body)
    assert parsed["mode"] == "payment" and parsed["metadata"] == {"account_id": "acct_1"}
    assert parsed["line_items"][0] == {"quantity": "1", "price_data": {"unit_amount": "2500"}}
    assert parsed["line_items"][1]["price_data"]["unit_amount"] == "30" and parsed["expand"] == [
        "latest_charge"
    ]
