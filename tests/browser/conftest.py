"""Browser tests: the whole local stack (moto, Cognito in moto, every family) served by uvicorn in a thread, and
Debian's chromium driven by Playwright. Each page is screenshotted into tests/browser/screenshots/."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM = os.environ.get("EMPIRIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    message = (
        f"No Chromium at {CHROMIUM}: the browser tests need Debian's 'chromium' package "
        "(`make browser`, or `apt-get install chromium`)."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class Outbox(logging.Handler):
    """Collects the `outbox:` lines make dev prints (what Cognito would email)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def code_for(self, email: str) -> str:
        for line in reversed(self.lines):
            match = re.search(r"to=(\S+) .*code=(\S+)", line)
            if match and match.group(1) == email:
                return match.group(2)
        raise AssertionError(f"no code sent to {email}: {self.lines}")


def _prefixed(app: Any, prefix: str) -> Any:
    """API Gateway's stage prefix: every path arrives under ``prefix`` (ASGI: root_path set, path kept whole)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            if not scope["path"].startswith(prefix + "/"):
                await send({"type": "http.response.start", "status": 404, "headers": []})
                await send({"type": "http.response.body", "body": b"outside the stage prefix"})
                return
            scope = {**scope, "root_path": prefix}
        await app(scope, receive, send)

    return wrapped


@dataclass
class Stack:
    origin: str  # scheme://host:port
    prefix: str  # "" or "/dev"
    outbox: Outbox
    context: Any
    shots: list[Path] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.origin + self.prefix

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module", params=["", "/dev"], ids=["root", "stage-prefix"])
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    import uvicorn

    from empirio.context import reset_context
    from empirio.web.auth import principal_cache
    from empirio_cli.dev import compose_app, prepare, start_fake_stripe

    _require_browser()
    saved_env = dict(os.environ)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    prefix = str(request.param)
    os.environ.pop("STRIPE_SECRET_KEY", None)
    start_fake_stripe(f"http://127.0.0.1:{port}{prefix}/v1/billing/webhook")  # as `make dev` does
    context, _, mock = prepare("test-admin-token")
    outbox = Outbox()
    logging.getLogger("empirio.outbox").addHandler(outbox)
    app = compose_app()
    config = uvicorn.Config(
        _prefixed(app, prefix) if prefix else app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Stack(f"http://127.0.0.1:{port}", prefix, outbox, context)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        logging.getLogger("empirio.outbox").removeHandler(outbox)
        principal_cache.clear()
        reset_context(None)
        mock.stop()
        os.environ.clear()
        os.environ.update(saved_env)


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.origin)
    page = context.new_page()
    problems: list[str] = []
    # Pages may answer 4xx on purpose (a refused sign-in is a 401 page); their sub-resources never should.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: (problems.append(f"unexpected dialog: {d.message}"), d.dismiss()))
    page.problems = problems
    yield page
    context.close()
    assert not problems, f"browser errors (CSP violations, script errors or dialogs): {problems}"
