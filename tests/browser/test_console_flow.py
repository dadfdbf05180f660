"""A person's whole path through the console, in headless Chromium, with and without a stage prefix."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai
import pytest

from empirio.domain.money import format_usd
from tests.browser.conftest import Stack
from tests.browser.pages import PASSWORD, screenshot, sign_up_and_in

pytestmark = pytest.mark.browser


def _email() -> str:
    return f"ada-{uuid.uuid4().hex[:8]}@example.com"


def _sdk(stack: Stack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.url("/v1"), api_key=key, max_retries=0)


def _chat(stack: Stack, key: str, text: str) -> Any:
    return _sdk(stack, key).chat.completions.create(
        model="local/echo", messages=[{"role": "user", "content": text}], max_tokens=50
    )


def test_sign_up_create_key_call_watch_export_revoke_sign_out(page: Any, stack: Stack) -> None:
    email = _email()
    sign_up_and_in(page, stack, email)
    assert page.get_by_test_id("balance").inner_text() == "$0.00"
    account_id = stack.context.users.get(
        next(u for u in _users(stack) if u["email"] == email)["user_id"]
    ).account_id
    stack.context.accounts.top_up(account_id, 5_000_000, "browser-topup", "x")  # billing is another issue
    screenshot(page, stack, "dashboard-empty")

    # Create a key; it is shown once, with a copy button.
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("ci job")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("New API key").input_value()
    assert key.startswith("sk-empiriolabs-")
    page.get_by_role("button", name="Copy", exact=True).click()
    page.get_by_role("button", name="Copied").wait_for()
    screenshot(page, stack, "keys-created")

    # The dashboard shows a request made with the key within 5 s, without a reload.
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    page.evaluate("window.notReloaded = true")
    reply = _chat(stack, key, "hello from the sdk")
    assert reply.choices[0].message.content
    today = page.get_by_role("row", name="Today")
    today.get_by_text("1", exact=True).wait_for(timeout=5000)
    assert page.evaluate("window.notReloaded"), "the page reloaded"
    assert f"${_usd(reply)}" in today.inner_text()
    credits = httpx.get(stack.url("/v1/credits"), headers={"Authorization": f"Bearer {key}"})
    assert credits.status_code == 403  # an inference key cannot read billing
    screenshot(page, stack, "dashboard")

    # The logs list it, and the next one appears without a reload.
    page.get_by_role("link", name="Logs").click()
    page.get_by_role("heading", name="Logs").wait_for()
    page.evaluate("window.notReloaded = true")
    rows = page.locator("table.logs tbody tr")
    assert rows.count() == 1 and "local/echo" in rows.first.inner_text()
    second = _chat(stack, key, "and again")
    rows.nth(1).wait_for(timeout=5000)
    assert "ci job" in rows.first.inner_text()
    assert page.evaluate("window.notReloaded"), "the page reloaded"
    screenshot(page, stack, "logs")

    # Its detail view: the same record as GET /v1/generations/{id}.
    rows.first.get_by_role("link").click()
    page.get_by_role("heading", name="Request").wait_for()
    request_id = "req_" + second.id.removeprefix("chatcmpl-")
    assert request_id in page.get_by_role("heading", name="Request").inner_text()
    assert f"${_usd(second)}" in page.locator("dl").inner_text()
    screenshot(page, stack, "log-detail")

    # CSV export of the range holds both requests.
    page.get_by_role("link", name="Logs").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert {r["id"] for r in exported} == {request_id, "req_" + reply.id.removeprefix("chatcmpl-")}

    # Revoke the key (with a confirmation); the next API call is refused.
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("row", name="ci job").get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    screenshot(page, stack, "keys-revoke-dialog")
    dialog.get_by_role("button", name="Revoke").click()
    page.get_by_text("revoked").wait_for()
    with pytest.raises(openai.AuthenticationError):
        _chat(stack, key, "still there?")

    # Sign out: the old cookie is refused by the console and by the API.
    cookie = next(c for c in page.context.cookies() if c["name"] == "empirio_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == stack.prefix + "/"
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    stolen = {"empirio_session": cookie["value"]}
    assert httpx.get(stack.url("/v1/account"), cookies=stolen).status_code == 401
    replay = httpx.get(stack.url("/console"), cookies=stolen, follow_redirects=False)
    assert replay.status_code == 303 and "/console/signin" in replay.headers["location"]
    page.goto(stack.url("/console/keys"))
    page.get_by_role("heading", name="Sign in").wait_for()


def _users(stack: Stack) -> list[dict[str, Any]]:
    from empirio.store.dynamo import from_item

    table = stack.context.settings.table_name("users")
    return [from_item(i) for i in stack.context.client.scan(TableName=table)["Items"]]


def test_signed_out_pages_and_wrong_password(page: Any, stack: Stack) -> None:
    page.goto(stack.url("/console/signin"))
    screenshot(page, stack, "signin")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    unknown = page.get_by_role("alert").inner_text()
    email = _email()
    sign_up_and_in(page, stack, email)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("Wr0ng-password!")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == unknown == "Incorrect email or password."
    page.goto(stack.url("/console/signup"))
    screenshot(page, stack, "signup")
    page.goto(stack.url("/console/verify"))
    screenshot(page, stack, "verify")
    page.goto(stack.url("/console/reset"))
    screenshot(page, stack, "reset")


def test_password_reset_with_the_emailed_code(page: Any, stack: Stack) -> None:
    email = _email()
    sign_up_and_in(page, stack, email)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset code").click()
    page.get_by_label("Verification code").fill(stack.outbox.code_for(email))
    page.get_by_label("New password").fill("N3w-password!")
    page.get_by_role("button", name="Reset password").click()
    page.get_by_text("Password changed").wait_for()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("N3w-password!")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_models_settings_and_hostile_strings_render_as_text(page: Any, stack: Stack) -> None:
    sign_up_and_in(page, stack, _email())
    page.get_by_role("link", name="Models").click()
    page.get_by_label("Search").fill("echo")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="local/echo").or_(page.get_by_role("link", name="Echo")).first.click()
    page.get_by_role("heading", name="Example requests").wait_for()
    assert "chat.completions.create" in page.locator("pre").nth(1).inner_text()
    screenshot(page, stack, "model")
    page.get_by_role("link", name="Models").click()
    screenshot(page, stack, "models")

    hostile = "<img src=x onerror=alert(1)>"
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill(hostile)
    page.get_by_role("button", name="Create key").click()
    assert (
        page.get_by_role("cell", name=hostile, exact=True).count() == 1
    )  # shown as text; no dialog fired (fixture)
    assert page.locator("img").count() == 0

    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Time zone").fill("Asia/Kolkata")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Time zone set to Asia/Kolkata").wait_for()
    screenshot(page, stack, "settings")


def _usd(reply: Any) -> str:
    """The answer's usage.cost (a JSON number) as the console writes money: an exact decimal string."""
    return format_usd(round(Decimal(repr(reply.usage.model_dump()["cost"])) * 1_000_000))
