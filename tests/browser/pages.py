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
