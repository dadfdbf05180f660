"""The Billing page in headless Chromium: add $25 through Stripe Checkout (the fake Stripe's stand-in page and
its signed webhook), back on the console the balance is $25 higher and the purchase is listed as paid."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from empirio.store.dynamo import from_item
from tests.browser.conftest import Stack
from tests.browser.pages import screenshot, sign_up_and_in

pytestmark = pytest.mark.browser


def _account_of(stack: Stack, email: str) -> str:
    table = stack.context.settings.table_name("users")
    users = [from_item(i) for i in stack.context.client.scan(TableName=table)["Items"]]
    return str(stack.context.users.get(next(u for u in users if u["email"] == email)["user_id"]).account_id)


def test_add_25_dollars_through_checkout_and_see_the_balance_and_the_purchase(
    page: Any, stack: Stack
) -> None:
    from playwright.sync_api import expect

    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_in(page, stack, email)
    account_id = _account_of(stack, email)
    before = stack.context.accounts.require(account_id).available

    page.get_by_role("link", name="Billing").click()
    page.get_by_role("heading", name="Billing", level=1).wait_for()
    expect(page.locator("#balance")).to_have_text("$0.00")
    page.get_by_role("button", name="$100").click()
    expect(page.get_by_label("Amount")).to_have_value("100.00")
    page.get_by_label("Amount").fill("25")
    expect(page.locator("#total")).to_have_text("$25.00")
    screenshot(page, stack, "billing")
    page.get_by_role("button", name="Add credits").click()

    page.get_by_role("heading", name="Checkout (test mode)").wait_for()
    assert page.get_by_text("EmpirioLabs credits: $25.00").count() == 1
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(re.compile(r".*/console/billing\?purchase=pur_"))
    expect(page.locator("#balance")).to_have_text("$25.00", timeout=10_000)
    row = page.locator("tr[data-purchase]").first
    expect(row).to_contain_text("paid", timeout=10_000)
    expect(row).to_contain_text("$25.00")
    assert row.get_by_role("link", name=re.compile("Receipt")).count() == 1
    expect(page.get_by_role("status").filter(has_text="added to your balance")).to_have_count(
        1, timeout=10_000
    )
    # The page's figure is the API's: the account moved by exactly $25.
    assert stack.context.accounts.require(account_id).available == before + 25_000_000
    ledger = page.get_by_role("table").last
    expect(ledger).to_contain_text("Credits purchased")
    screenshot(page, stack, "billing-paid")


def test_an_alert_address_that_is_not_the_persons_own_waits_for_its_confirmation(
    page: Any, stack: Stack
) -> None:
    from playwright.sync_api import expect

    email = f"alerts-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_in(page, stack, email)
    page.get_by_role("link", name="Billing").click()
    form = page.locator("#alert-settings")
    form.get_by_label("Email", exact=True).fill("finance@example.com")
    form.get_by_role("button", name="Save alert").click()
    expect(form.get_by_role("button", name=re.compile("Saved|Save alert"))).to_be_visible()
    page.reload()
    expect(
        page.get_by_role("status").filter(has_text="confirmation link to finance@example.com")
    ).to_have_count(1)
    screenshot(page, stack, "billing-alert-pending")
