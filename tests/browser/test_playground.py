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


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def test_stop_mid_answer_bills_the_partial_answer_and_images_reach_models_that_take_them(
    page: Any, stack: Stack
) -> None:
    sign_up_and_in(page, stack, f"stop-{uuid.uuid4().hex[:8]}@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    me = httpx.get(stack.url("/v1/account"), cookies=cookies).json()
    stack.context.accounts.top_up(me["id"], 2_000_000, "stop", "x")
    page.get_by_role("link", name="Playground").click()

    # An image reaches a model that accepts images (local/echo acknowledges it) ...
    page.get_by_label("Message").fill("What is in this picture?")
    page.get_by_label("Attach image").set_input_files(
        files=[{"name": "dot.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Send").click()
    answers = page.get_by_role("region", name="Answers from local/echo")
    answers.get_by_text(f"[image: image/png, {len(PNG)} bytes]").wait_for()

    # ... and cannot be attached for one that does not.
    page.get_by_role("button", name="New chat").click()
    page.get_by_label("Model", exact=True).select_option("local/echo-slow")
    assert page.get_by_label("Attach image").is_disabled()
    page.get_by_text("The selected model does not accept images.").wait_for()

    # Stop during a long answer: billed for what was generated, found in the logs with its partial usage.
    before = _credits(page, stack)
    words = " ".join(f"word{i}" for i in range(300))  # 30 s at one word every 100 ms
    page.get_by_label("Message").fill(words)
    page.get_by_role("button", name="Send").click()
    slow = page.get_by_role("region", name="Answers from local/echo-slow")
    slow.locator(".turn.assistant").get_by_text("word3", exact=False).wait_for()
    page.get_by_role("button", name="Stop").click()
    slow.locator(".turn-meta").get_by_text("$").wait_for()
    records = httpx.get(stack.url("/v1/generations"), params={"model": "local/echo-slow"}, cookies=cookies)
    [record] = records.json()["data"]
    assert record["billing_status"] == "partial_disconnect" and record["status"] == "cancelled"
    assert 0 < record["output_tokens"] < 300
    assert round(float(before) - float(_credits(page, stack)), 6) == float(record["cost"]) > 0
    shown = slow.locator(".turn-meta").inner_text()
    assert f"${record['cost']}" in shown and f"{record['output_tokens']} out" in shown.replace(",", "")

    page.get_by_role("link", name="Logs").click()
    row = page.get_by_role("row").filter(has_text="local/echo-slow")
    row.locator(".badge", has_text="cancelled").wait_for()
    screenshot(page, stack, "logs-cancelled")
