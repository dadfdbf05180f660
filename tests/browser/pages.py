"""Helpers the browser tests share: sign-up through the forms, screenshots with layout checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import SCREENSHOTS, Stack

PASSWORD = "Corr3ct-horse!"
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def sign_up_and_in(page: Any, stack: Stack, email: str) -> None:
    """A new person: sign up, verify with the emailed code, sign in; ends on the dashboard."""
    page.goto(stack.url("/console"))
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Verification code").fill(stack.outbox.code_for(email))
    page.get_by_role("button", name="Verify").click()
    page.get_by_text("Email verified").wait_for()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


_WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter(e => { for (let p = e.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return false; } return true; })
  .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5).join(', ')"""


def check_layout(page: Any) -> None:
    """Styled (our stylesheet applied), nothing wider than the viewport, no element overlapping the header."""
    styled = page.evaluate("getComputedStyle(document.body).fontFamily.includes('system-ui')")
    assert styled, "the console stylesheet did not load"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    culprit = page.evaluate(_WIDEST) if overflow > 1 else ""
    assert overflow <= 1, f"the page is {overflow}px wider than the viewport: {culprit}"


def screenshot(page: Any, stack: Stack, name: str) -> list[Path]:
    """The page at both sizes, checked and saved as <prefix>-<name>-<viewport>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    tag = "stage" if stack.prefix else "root"
    saved = []
    for viewport, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(400)  # the charts redraw 200 ms after a resize
        check_layout(page)
        path = SCREENSHOTS / f"{tag}-{name}-{viewport}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size({"width": 1280, "height": 800})
    return saved


def account_of(stack: Stack, email: str) -> str:
    """The account id of the person who signed up with ``email``."""
    from empirio.store.dynamo import from_item

    table = stack.context.settings.table_name("users")
    users = [from_item(i) for i in stack.context.client.scan(TableName=table)["Items"]]
    return str(stack.context.users.get(next(u for u in users if u["email"] == email)["user_id"]).account_id)


def expect_refused(page: Any, status: int, path: str) -> None:
    """Responses the test provoked on purpose (a 402 at $0) are not browser errors for the fixture's check."""
    page.problems[:] = [p for p in page.problems if not (p.startswith(f"{status} ") and path in p)]
