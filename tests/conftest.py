"""Shared fixtures: moto DynamoDB (serialized, tables from the shared specs), the composed app, an operator."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "EMPIRIO_ADMIN_TOKEN": "test-admin-token",
    }
)

ADMIN_TOKEN = "test-admin-token"


@dataclass
class DynamoCalls:
    """Counts DynamoDB operations made through the context's client (botocore events)."""

    names: list[str]

    def __call__(self, event_name: str, **_: Any) -> None:
        self.names.append(event_name.rsplit(".", 1)[-1])

    def reset(self) -> None:
        self.names.clear()


@pytest.fixture
def aws() -> Iterator[Any]:
    """moto in-process and serialized, tables created, a fresh context; yields the context."""
    from empirio.context import Context, get_context, reset_context
    from empirio.settings import Settings
    from empirio.web.auth import principal_cache
    from empirio_cli.localaws import create_tables, start_mock_aws

    mock = start_mock_aws()
    reset_context(Context(Settings.from_env()))
    principal_cache.clear()
    context = get_context()
    create_tables(context.client, context.settings)
    try:
        yield context
    finally:
        principal_cache.clear()
        reset_context(None)
        mock.stop()


@pytest.fixture
def dynamo_calls(aws: Any) -> DynamoCalls:
    calls = DynamoCalls([])
    aws.client.meta.events.register("before-call.dynamodb.*", calls)
    return calls


@pytest.fixture
def client(aws: Any) -> Iterator[Any]:
    """A TestClient (an httpx2.Client, so the official SDKs accept it) over every family composed."""
    from starlette.testclient import TestClient

    from empirio_cli.dev import compose_app

    with TestClient(compose_app(), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[Any]:
    """The fake Stripe (real HTTP on 127.0.0.1), shared by the run; each test wires it with ``fake_stripe``."""
    from empirio_cli.fake_stripe import FakeStripe, RunningFakeStripe

    running = RunningFakeStripe(FakeStripe())
    yield running
    running.stop()


@pytest.fixture
def fake_stripe(stripe_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The fake Stripe as this test's payment processor: the SDK pointed at it, its keys in the environment, and
    no automatic webhook delivery (tests deliver events themselves, as often and as concurrently as they like).
    The context's payments client is built on first use, after this."""
    fake = stripe_server.fake
    fake.deliver, fake.webhook_url = False, None
    monkeypatch.setenv("STRIPE_SECRET_KEY", fake.secret_key)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", fake.webhook_secret)
    monkeypatch.setenv("EMPIRIO_STRIPE_API_BASE", stripe_server.url)
    return fake


@pytest.fixture
def lambda_event_loop() -> Iterator[None]:
    """The event loop Mangum runs a Lambda invocation on (Lambda keeps one per process); closed after the test."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()
    asyncio.set_event_loop(None)


class Operator:
    """The admin API as the operator's tooling uses it."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def create_account(self, name: str = "acme", credits: str = "10.00", **extra: Any) -> dict[str, Any]:
        response = self.client.post(
            "/admin/accounts", json={"name": name, "credits": credits, **extra}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def create_key(self, account_id: str, scopes: tuple[str, ...] = ("inference", "manage")) -> str:
        response = self.client.post(
            f"/admin/accounts/{account_id}/keys",
            json={"name": "test", "scopes": list(scopes)},
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["key"])

    def top_up(self, account_id: str, amount: str, idempotency_key: str | None = None) -> Any:
        headers = dict(self.headers)
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.client.post(
            f"/admin/accounts/{account_id}/credits", json={"amount": amount}, headers=headers
        )


@pytest.fixture
def operator(client: Any) -> Operator:
    return Operator(client)


@pytest.fixture
def account(operator: Operator) -> dict[str, Any]:
    return operator.create_account()


@pytest.fixture
def api_key(operator: Operator, account: dict[str, Any]) -> str:
    return operator.create_key(account["id"])


# -- no secret in any log line --------------------------------------------------------------------------------
class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(
            self.format(record)
            + " "
            + " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS)
        )


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
SECRET_PATTERN = re.compile(r"sk-empiriolabs-[0-9A-Za-z]{36}")


@pytest.fixture(scope="session", autouse=True)
def no_secret_is_ever_logged() -> Iterator[_LogCapture]:
    """Captures every log record of the whole run (any logger, any level) and fails if a key or token leaked."""
    capture = _LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    yield capture
    root.removeHandler(capture)
    root.setLevel(previous)
    leaks = [line for line in capture.lines if SECRET_PATTERN.search(line) or ADMIN_TOKEN in line]
    assert not leaks, f"secrets in {len(leaks)} log lines, first: {leaks[0][:300]}"


# -- people: Cognito (moto) and console sessions --------------------------------------------------------------
@dataclass
class Person:
    """A signed-in console user: a TestClient holding the session cookie, and the page's CSRF token."""

    client: Any
    email: str
    csrf: str
    account_id: str
    origin: str = "http://localhost"

    def write_headers(self) -> dict[str, str]:
        return {"origin": self.origin, "x-csrf-token": self.csrf}


PASSWORD = "Corr3ct-horse!"


@pytest.fixture
def user_pool(aws: Any) -> tuple[str, str]:
    """A Cognito user pool and client in moto, wired into the context's settings."""
    from empirio_cli.localaws import create_user_pool

    pool_id, client_id = create_user_pool(aws.settings.region)
    aws.settings.user_pool_id, aws.settings.user_pool_client_id, aws.settings.outbox = (
        pool_id,
        client_id,
        "log",
    )
    return pool_id, client_id


@pytest.fixture
def console_app(aws: Any, user_pool: tuple[str, str]) -> Any:
    from empirio_cli.dev import compose_app

    return compose_app()


@contextmanager
def outbox_lines() -> Iterator[list[str]]:
    """The `outbox:` lines logged meanwhile (what Cognito or SES would email), in order."""
    lines: list[str] = []
    handler = logging.Handler(level=logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    outbox = logging.getLogger("empirio.outbox")
    level = outbox.level
    outbox.addHandler(handler)
    outbox.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        outbox.removeHandler(handler)
        outbox.setLevel(level)


def code_in(lines: list[str], email: str) -> str:
    """The code of the newest message to ``email``."""
    for line in reversed(lines):
        match = re.search(r"to=(\S+) .*code=(\S+)", line)
        if match and match.group(1) == email:
            return match.group(2)
    raise AssertionError(f"no code sent to {email}: {lines}")


def sign_up(app: Any, email: str, password: str = PASSWORD) -> Person:
    """Sign up, verify and sign in through the console's forms, as a browser on http://localhost would."""
    from starlette.testclient import TestClient

    from empirio.context import get_context

    client = TestClient(app, base_url="http://localhost")
    origin = {"origin": "http://localhost"}
    with outbox_lines() as sent:
        assert client.post(
            "/console/signup", data={"email": email, "password": password}, headers=origin
        ).is_success
    verified = client.post(
        "/console/verify", data={"email": email, "code": code_in(sent, email)}, headers=origin
    )
    assert verified.is_success
    signed_in = client.post("/console/signin", data={"email": email, "password": password}, headers=origin)
    assert signed_in.status_code == 200 and "Dashboard" in signed_in.text, signed_in.text[:500]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', signed_in.text)
    assert csrf
    account = client.get("/v1/account").json()
    assert get_context().accounts.require(account["id"])
    return Person(client, email, csrf.group(1), account["id"])
