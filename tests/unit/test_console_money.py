"""The console's money helper (balances floored to the cent, costs exact), its first-run checklist and its
Anthropic TypeScript example."""

from __future__ import annotations

from typing import Any

import pytest

from empirio.domain.accounts import Account, Limits
from functions.console.examples import examples
from functions.console.money import balance_html, balance_text, micros_of, usd_html, usd_text
from functions.console.pages import first_steps


@pytest.mark.parametrize(
    ("amount", "balance", "usd"),
    [
        (0, "$0.00", "$0.00"),
        ("10000.00", "$10,000.00", "$10,000.00"),
        ("24.999949", "$24.99", "$24.999949"),  # a balance never shows more than there is
        (24_990_000, "$24.99", "$24.99"),
        ("0.000039", "$0.00", "$0.000039"),
        ("-0.000105", "-$0.01", "-$0.000105"),  # floor, not toward zero: a debt is never hidden
        ("1234567.5", "$1,234,567.50", "$1,234,567.50"),
    ],
)
def test_balances_floor_to_the_cent_and_costs_keep_every_micro_dollar(
    amount: Any, balance: str, usd: str
) -> None:
    assert balance_text(amount) == balance
    assert usd_text(amount) == usd


def test_the_page_keeps_the_exact_amount_beside_the_rounded_one() -> None:
    assert str(balance_html("24.999949")) == (
        '<data class="money" value="24.999949" title="Exactly $24.999949">$24.99</data>'
    )
    assert str(usd_html("0.000039")) == '<data class="money" value="0.000039">$0.000039</data>'
    assert str(balance_html(25_000_000)) == '<data class="money" value="25.00">$25.00</data>'


def test_amounts_finer_than_a_micro_dollar_or_not_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        micros_of("0.0000001")
    with pytest.raises(ValueError):
        micros_of("<b>")


def _account(available: int, keys: int) -> Account:
    return Account("acct_x", "x", available, 0, available, 0, Limits(), keys, 0, 0)


def test_first_run_leads_to_billing_first_then_a_key_then_a_call() -> None:
    empty = first_steps(_account(0, 0), requests=0)
    assert empty is not None and empty["current"] == 0
    assert [s["path"] for s in empty["steps"]] == ["/console/billing", "/console/keys", "/console/playground"]
    paid = first_steps(_account(25_000_000, 0), requests=0)
    assert paid is not None and paid["current"] == 1 and paid["steps"][0]["done"]
    keyed = first_steps(_account(25_000_000, 1), requests=0)
    assert keyed is not None and keyed["current"] == 2
    assert first_steps(_account(25_000_000, 1), requests=3) is None
    spent = first_steps(_account(0, 1), requests=3)  # ran out: back to Billing
    assert spent is not None and spent["current"] == 0 and spent["heading"] == "Add credits to keep calling"


def test_the_anthropic_typescript_example_prints_the_text_not_the_block_array() -> None:
    [example] = examples("anthropic/claude", ["/v1/messages"], "https://api.example")
    assert "console.log(reply.content);" not in example["typescript"]
    assert 'block.type === "text"' in example["typescript"] and "block.text" in example["typescript"]
