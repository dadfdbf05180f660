"""The keys page's spend controls in headless Chromium: a key with a cap, an expiry and allowed models, its spend
against the cap after a request, and a rotation whose previous secret keeps working for its grace period."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx2 as httpx
import openai
import pytest

from empirio.domain.money import format_usd
from empirio.store.dynamo import from_item
from tests.browser.conftest import Stack
from tests.browser.pages import screenshot, sign_up_and_in

pytestmark = pytest.mark.browser


def _account_of(stack: Stack, email: str) -> str:
    table = stack.context.settings.table_name("users")
    users = [from_item(i) for i in stack.context.client.scan(TableName=table)["Items"]]
    return str(stack.context.users.get(next(u for u in users if u["email"] == email)["user_id"]).account_id)


def _chat(stack: Stack, key: str, model: str = "local/echo") -> Any:
    sdk = openai.OpenAI(base_url=stack.url("/v1"), api_key=key, max_retries=0)
    return sdk.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=20
    )


def test_create_a_capped_expiring_key_for_one_model_see_its_spend_and_rotate_it(
    page: Any, stack: Stack
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_in(page, stack, email)
    stack.context.accounts.top_up(_account_of(stack, email), 5_000_000, "browser-topup", "x")

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("agent")
    page.get_by_text("Spend limit, expiry and models").click()
    page.get_by_label("Spend limit (USD)").fill("0.50")
    page.get_by_label("Limit period").select_option("day")
    expires = date.today() + timedelta(days=30)
    page.get_by_label("Expires on").fill(expires.isoformat())
    page.get_by_label("Allowed models").select_option(["local/echo"])
    screenshot(page, stack, "keys-options")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("New API key").input_value()

    listed = httpx.get(stack.url("/v1/keys"), headers={"Authorization": f"Bearer {key}"})
    assert listed.status_code == 403  # an inference key cannot list keys; read the record the page shows
    reply = _chat(stack, key)
    with pytest.raises(openai.PermissionDeniedError):
        _chat(stack, key, "openai/gpt-4o")  # not an allowed model
    spent = reply.usage.model_extra["cost"]  # type: ignore[union-attr]
    page.get_by_role("link", name="API keys").click()
    row = page.get_by_role("row", name="agent")
    text = row.inner_text()
    assert f"${format_usd(round(spent * 1_000_000))} of $0.50" in text  # the cost the answer carried
    assert "/ day" in text and "local/echo" in text and expires.isoformat() in text
    screenshot(page, stack, "keys-capped")

    row.get_by_role("button", name="Rotate").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("The current secret keeps working for").select_option("3600")
    screenshot(page, stack, "keys-rotate-dialog")
    dialog.get_by_role("button", name="Rotate").click()
    page.get_by_role("heading", name="New secret for “agent”").wait_for()
    new = page.get_by_label("New API key").input_value()
    assert new != key and new.startswith("sk-empiriolabs-")
    assert page.get_by_text("rotated out").count() == 1
    assert _chat(stack, key).choices[0].message.content and _chat(stack, new).choices[0].message.content
    screenshot(page, stack, "keys-rotated")
    cut = (
        "(() => { const w = document.querySelector('table.keys').closest('.table-wrap'); "
        "return w.scrollWidth - w.clientWidth; })()"
    )
    assert page.evaluate(cut) <= 0, "the keys table (its actions) is cut at 1280 px"
