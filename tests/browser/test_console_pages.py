"""Console pages in headless Chromium at 1280x800 and 390x844: the logs fit and show the app, their filters offer
what the account used, money reads like Stripe's and agrees with the API, a reload after creating a key creates
nothing, model search runs as you type, and unknown console paths are console pages."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx2 as httpx
import openai
import pytest

from empirio.domain.keys import Scope
from tests.browser.conftest import Stack
from tests.browser.pages import VIEWPORTS, account_of, screenshot, sign_up_and_in

pytestmark = pytest.mark.browser

APP = "Invoice summarizer for the accounting team's nightly batch"
REFERER = "https://invoices.example.com/tools/summarizer"
_OVERFLOW = (
    "(() => { const w = document.querySelector('table.logs').closest('.table-wrap'); "
    "return w.scrollWidth - w.clientWidth; })()"
)


def _cookies(page: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def _person(page: Any, stack: Stack, name: str, micros: int) -> str:
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    sign_up_and_in(page, stack, email)
    account_id = account_of(stack, email)
    stack.context.accounts.top_up(account_id, micros, f"browser-{name}", "x")
    return account_id


def test_logs_fit_show_the_app_and_filter_by_what_the_account_used(page: Any, stack: Stack) -> None:
    from playwright.sync_api import expect

    account_id = _person(page, stack, "apps", 5_000_000)
    _, key = stack.context.keys.create(account_id, "nightly batch summarizer", (Scope.INFERENCE,))
    attributed = openai.OpenAI(
        base_url=stack.url("/v1"),
        api_key=key,
        max_retries=0,
        default_headers={"X-Title": APP, "HTTP-Referer": REFERER},
    )
    reply = attributed.chat.completions.create(
        model="local/echo", messages=[{"role": "user", "content": "summarize"}], max_tokens=30
    )
    openai.OpenAI(base_url=stack.url("/v1"), api_key=key, max_retries=0).chat.completions.create(
        model="local/echo-slow", messages=[{"role": "user", "content": "hi"}], max_tokens=5
    )

    page.get_by_role("link", name="Logs").click()
    rows = page.locator("table.logs tbody tr")
    expect(rows).to_have_count(2)
    # The filters offer the models and the app this account used, not the whole catalog.
    models = page.get_by_label("Model").locator("option").all_inner_texts()
    assert models == ["All models", "local/echo", "local/echo-slow"]
    assert page.get_by_label("App").locator("option").all_inner_texts() == ["All apps", APP]
    attributed_row = rows.filter(has_text=APP)
    expect(attributed_row).to_have_count(1)
    expect(attributed_row.locator("code")).to_have_text("local/echo")
    # The cost shown is the API's, to the micro-dollar (the <data> element carries the exact value).
    request_id = "req_" + reply.id.removeprefix("chatcmpl-")
    record = httpx.get(stack.url(f"/v1/generations/{request_id}"), cookies=_cookies(page)).json()
    assert record["app"] == APP
    assert attributed_row.locator("data.money").get_attribute("value") == record["cost"]
    assert attributed_row.locator("data.money").inner_text() == f"${record['cost']}"
    for viewport, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        assert page.evaluate(_OVERFLOW) <= 0, f"the logs table is cut at {viewport} width"
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, stack, "logs-apps")

    page.get_by_label("App").select_option(APP)
    page.get_by_role("button", name="Apply filters").click()
    expect(rows).to_have_count(1)
    assert "app=" in page.url and APP in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    details = page.locator("dl.details")
    expect(details).to_contain_text(APP)
    expect(details).to_contain_text(REFERER)
    assert details.locator("data.money").get_attribute("value") == record["cost"]
    screenshot(page, stack, "log-detail-app")


def test_balances_read_like_stripe_and_agree_with_the_api(page: Any, stack: Stack) -> None:
    from playwright.sync_api import expect

    account_id = _person(page, stack, "money", 24_999_949)
    page.reload()
    balance = page.get_by_test_id("balance").locator("data.money")
    expect(balance).to_have_text("$24.99")  # floored to the cent: never more than there is
    api = httpx.get(stack.url("/v1/credits"), cookies=_cookies(page)).json()["balance"]
    assert balance.get_attribute("value") == api == "24.999949"
    assert balance.get_attribute("title") == "Exactly $24.999949"
    stack.context.accounts.top_up(account_id, 10_000_000_000 - 24_999_949, "browser-money-2", "x")
    page.get_by_role("link", name="Billing").click()
    expect(page.locator("#balance")).to_have_text("$10,000.00")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("balance")).to_have_text("$10,000.00")
    screenshot(page, stack, "dashboard-money")


def test_a_reload_after_creating_a_key_creates_nothing_and_checkboxes_sit_with_their_labels(
    page: Any, stack: Stack
) -> None:
    from playwright.sync_api import expect

    _person(page, stack, "reload", 0)
    page.get_by_role("link", name="API keys").click()
    for scope in ("inference", "manage"):
        box = page.locator(f"#scope-{scope}").bounding_box()
        text = page.locator(f"label[for='scope-{scope}'] > span").bounding_box()
        assert abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) < 6  # same line
        assert 0 <= text["x"] - (box["x"] + box["width"]) < 16  # right beside it
    page.get_by_label("Manage").check()
    assert page.get_by_role("checkbox", name="Manage").is_checked()
    page.get_by_label("Name").fill("once")
    screenshot(page, stack, "keys-form")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("New API key").input_value()
    assert key.startswith("sk-empiriolabs-") and key not in page.url
    screenshot(page, stack, "keys-shown-once")
    page.reload()
    page.get_by_role("heading", name="API keys").wait_for()
    expect(page.get_by_label("New API key")).to_have_count(0)  # shown once
    listed = httpx.get(stack.url("/v1/keys"), cookies=_cookies(page)).json()["data"]
    assert [k["name"] for k in listed] == ["once"]  # the reload created nothing
    assert listed[0]["scopes"] == ["inference", "manage"]


def test_model_search_runs_as_you_type_and_announces_the_count(page: Any, stack: Stack) -> None:
    from playwright.sync_api import expect

    _person(page, stack, "search", 0)
    page.get_by_role("link", name="Models").click()
    count = page.get_by_role("status").filter(has_text=re.compile(r"^\d+ models?$"))
    before = count.inner_text()
    page.get_by_label("Search").press_sequentially("echo", delay=30)  # no button pressed
    expect(count).not_to_have_text(before)
    expect(page.locator("table.models tbody tr").first).to_contain_text("echo")
    shown = page.locator("table.models tbody tr").count()
    assert count.inner_text() == f"{shown} model{'' if shown == 1 else 's'}"
    assert "q=echo" in page.url  # the filter is in the URL, so the view can be shared
    assert page.get_by_role("button", name="Search").count() == 1  # still there without JavaScript
    screenshot(page, stack, "models-search")


def test_unknown_console_paths_are_console_pages_while_the_api_answers_json(page: Any, stack: Stack) -> None:
    _person(page, stack, "lost", 0)
    answer = page.goto(stack.url("/console/no-such-page"))
    assert answer is not None and answer.status == 404
    page.get_by_role("heading", name="Page not found").wait_for()
    assert (
        page.get_by_role("link", name="Go to the dashboard").get_attribute("href")
        == f"{stack.prefix}/console"
    )
    screenshot(page, stack, "not-found")
    api = httpx.get(stack.url("/v1/no-such-route"))
    assert api.status_code == 404 and "error" in api.json()
