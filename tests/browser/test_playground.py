"""The playground in headless Chromium: streamed answers with their cost, compare, saved chats, hostile text."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2 as httpx
import pytest

from tests.browser.conftest import Stack
from tests.browser.pages import screenshot, sign_up_and_in

pytestmark = pytest.mark.browser


def _credits(page: Any, stack: Stack) -> str:
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return str(httpx.get(stack.url("/v1/credits"), cookies=cookies).json()["balance"])


def test_send_compare_save_reopen_and_hostile_text(page: Any, stack: Stack) -> None:
    email = f"play-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_in(page, stack, email)
    account_id = next(
        u["account_id"]
        for u in stack.context.client.scan(TableName=stack.context.settings.table_name("users"))["Items"]
        for u in [{k: v.get("S") for k, v in u.items()}]
        if u["email"] == email
    )
    stack.context.accounts.top_up(account_id, 2_000_000, "play", "x")
    page.get_by_role("link", name="Playground").click()
    assert page.get_by_label("Model", exact=True).input_value() == "local/echo"
    before = _credits(page, stack)

    page.get_by_label("Message").fill("Hello **world**")
    page.get_by_role("button", name="Send").click()
    answers = page.get_by_role("region", name="Answers from local/echo")
    answers.locator("strong", has_text="world").wait_for()
    meta = answers.locator(".turn-meta").first
    meta.get_by_text("$").wait_for()
    cost = meta.inner_text().split("$", 1)[1].split(" ", 1)[0]
    spent = round(float(before) - float(_credits(page, stack)), 6)
    assert spent == float(cost) > 0  # the balance moved by exactly the cost shown
    screenshot(page, stack, "playground")

    page.get_by_role("button", name="Save chat").click()
    page.get_by_text("1 of 50").wait_for()
    page.reload()
    page.get_by_role("button", name="Hello **world**", exact=True).click()
    page.get_by_role("region", name="Answers from local/echo").locator("strong", has_text="world").wait_for()

    page.get_by_role("button", name="Compare another model").click()
    page.get_by_label("Message").fill("<img src=x onerror=alert(1)>")
    page.get_by_role("button", name="Send").click()
    columns = page.locator("section.column")
    assert columns.count() == 2
    for index in range(2):
        columns.nth(index).get_by_text("<img src=x onerror=alert(1)>").last.wait_for()
    assert page.locator("section.column img").count() == 0  # text, not an element; no dialog (fixture)
    screenshot(page, stack, "playground-compare")

    logs = httpx.get(
        stack.url("/v1/generations"),
        params={"source": "playground"},
        cookies={c["name"]: c["value"] for c in page.context.cookies()},
    ).json()["data"]
    assert len(logs) == 3 and all(g["source"] == "playground" for g in logs)
