"""`empirio dev` as a user runs it: a real process on a free port, the openai SDK over real HTTP."""

import re
import subprocess
import sys
import time
from typing import Any

import httpx2 as httpx
import openai


def test_dev_server_prints_url_key_and_admin_token(dev_server: dict[str, str]) -> None:
    assert re.match(r"http://127\.0\.0\.1:\d+/v1$", dev_server["base URL"])
    assert dev_server["API key"].startswith("sk-empiriolabs-")
    assert dev_server["admin token"] == "e2e-admin-token"


def test_openai_sdk_lists_models_over_http_with_the_printed_key(dev_server: dict[str, str]) -> None:
    sdk = openai.OpenAI(base_url=dev_server["base URL"], api_key=dev_server["API key"], max_retries=0)
    ids = [m.id for m in sdk.models.list()]
    assert "local/echo" in ids and len(ids) >= 40


def test_admin_cli_creates_and_tops_up_an_account(dev_server: dict[str, str]) -> None:
    url = dev_server["base URL"].removesuffix("/v1")
    base = [sys.executable, "-m", "empirio_cli", "admin", "--url", url, "--token", dev_server["admin token"]]
    created = subprocess.run(
        [*base, "create-account", "cli", "--credits", "1.00"], capture_output=True, text=True, check=True
    )
    account_id = re.search(r'"id": "(acct_\w+)"', created.stdout).group(1)  # type: ignore[union-attr]
    for _ in range(2):
        topped = subprocess.run(
            [*base, "add-credits", account_id, "2.50", "--idempotency-key", "cli-1"],
            capture_output=True,
            text=True,
            check=True,
        )
    assert '"balance": "3.50"' in topped.stdout


def test_openai_sdk_streams_an_echo_over_http(dev_server: dict[str, str]) -> None:
    sdk = openai.OpenAI(base_url=dev_server["base URL"], api_key=dev_server["API key"], max_retries=0)
    stream = sdk.chat.completions.create(
        model="local/echo", stream=True, messages=[{"role": "user", "content": "streamed over real HTTP"}]
    )
    pieces = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert len(pieces) == 4 and "".join(pieces) == "streamed over real HTTP"


def test_anthropic_sdk_streams_an_echo_over_http(dev_server: dict[str, str]) -> None:
    import anthropic

    sdk = anthropic.Anthropic(
        base_url=dev_server["base URL"].removesuffix("/v1"), api_key=dev_server["API key"], max_retries=0
    )
    with sdk.messages.stream(
        model="local/echo", max_tokens=100, messages=[{"role": "user", "content": "hello from anthropic"}]
    ) as stream:
        text = "".join(stream.text_stream)
    assert text == "hello from anthropic"
    credits = sdk.get("/v1/credits", cast_to=object)  # the echo was priced: credits moved
    assert credits["balance"] != "10.00"  # type: ignore[index]


def test_sign_up_on_the_console_prints_the_code_as_an_outbox_line(dev_server: dict[str, Any]) -> None:
    origin = dev_server["base URL"].removesuffix("/v1")
    signup = httpx.post(
        f"{origin}/console/signup",
        data={"email": "dev-user@example.com", "password": "Corr3ct-horse!"},
        headers={"origin": origin},
    )
    assert signup.status_code == 200 and "Verification code" in signup.text
    deadline = time.monotonic() + 5
    while not dev_server["outbox"] and time.monotonic() < deadline:
        time.sleep(0.05)
    line = dev_server["outbox"][0]
    assert re.match(
        r"outbox: to=dev-user@example\.com subject='Verify your EmpirioLabs email' code=\d{6}$", line
    )
    assert httpx.get(f"{origin}/console", follow_redirects=False).status_code == 303


def test_the_printed_demo_person_signs_in_to_the_demo_account(dev_server: dict[str, Any]) -> None:
    origin = dev_server["base URL"].removesuffix("/v1")
    with httpx.Client(base_url=origin, follow_redirects=True) as browser:
        signed = browser.post(
            "/console/signin",
            data={"email": dev_server["demo email"], "password": dev_server["demo password"]},
            headers={"origin": origin},
        )
        assert signed.status_code == 200
        balance = browser.get("/v1/credits").json()["balance"]  # the demo account's, through the session
        # the page shows the balance to the cent and carries the API's exact figure in its <data value>
        assert re.search(
            f'data-testid="balance"><data class="money" value="{re.escape(balance)}"', signed.text
        )
        assert any(k["name"] == "demo" for k in browser.get("/v1/keys").json()["data"])
        demo_key = httpx.get(
            f"{origin}/v1/account", headers={"Authorization": f"Bearer {dev_server['API key']}"}
        )
        assert demo_key.json()["id"] == browser.get("/v1/account").json()["id"]


def test_the_terminal_shows_one_short_line_per_request(dev_server: dict[str, Any]) -> None:
    sdk = openai.OpenAI(base_url=dev_server["base URL"], api_key=dev_server["API key"], max_retries=0)
    usage = sdk.chat.completions.create(
        model="local/echo",
        max_tokens=50,
        messages=[{"role": "user", "content": "a terminal line for this one"}],
    ).usage
    assert usage is not None
    tokens = rf"{usage.prompt_tokens}\+{usage.completion_tokens} tok"
    pattern = re.compile(rf"POST /v1/chat/completions  200  local/echo  {tokens}  \$0\.\d+  \d+ ms")
    deadline = time.monotonic() + 10
    while not any(pattern.search(line) for line in dev_server["lines"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any(pattern.search(line) for line in dev_server["lines"]), dev_server["lines"][-5:]
    assert not any('"_aws"' in line for line in dev_server["lines"])  # no metric JSON (EMPIRIO_DEV_METRICS=1)
