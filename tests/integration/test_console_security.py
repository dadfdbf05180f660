"""The console's sessions and pages against CSRF, replayed and expired cookies, hostile strings and framing."""

from __future__ import annotations

import logging
import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.testclient import TestClient

from empirio.domain.sessions import COOKIE_NAME
from tests.conftest import PASSWORD, sign_up

HOSTILE = "<img src=x onerror=alert(1)>"


def _inline_handlers_and_images(html: str) -> tuple[list[str], list[str]]:
    """Event-handler attributes and <img> elements a parser finds in a page (both must be absent)."""
    found: tuple[list[str], list[str]] = ([], [])

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found[0].extend(f"{tag}.{name}" for name, _ in attrs if name.startswith("on"))
            if tag == "img":
                found[1].append(str(attrs))

    Parser().feed(html)
    return found


def test_sign_up_creates_an_empty_account_linked_to_the_person(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "grace@example.com")
    account = aws.accounts.require(person.account_id)
    assert (account.available, account.held, account.limits.rpm, account.limits.max_keys) == (0, 0, 50, 50)
    assert person.client.get("/v1/credits").json()["balance"] == "0.00"


def test_unknown_email_and_wrong_password_get_the_same_answer(console_app: Any) -> None:
    sign_up(console_app, "linus@example.com")
    client = TestClient(console_app, base_url="http://localhost")
    answers = [
        client.post(
            "/console/signin",
            data={"email": email, "password": password},
            headers={"origin": "http://localhost"},
        )
        for email, password in (("nobody@example.com", PASSWORD), ("linus@example.com", "Wr0ng-pass!"))
    ]
    assert [a.status_code for a in answers] == [401, 401]
    messages = [re.search(r'role="alert">([^<]*)<', a.text).group(1) for a in answers]  # type: ignore[union-attr]
    assert messages[0] == messages[1] == "Incorrect email or password."
    assert COOKIE_NAME not in client.cookies


def test_cross_origin_form_posts_and_api_writes_are_refused(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "eve-target@example.com")
    evil = {"origin": "https://evil.example"}
    # A form on another site posting into the console with the victim's cookie (even with a stolen CSRF token).
    forged = person.client.post(
        "/console/keys", data={"name": "pwned", "csrf_token": person.csrf}, headers=evil
    )
    assert forged.status_code == 403
    no_token = person.client.post(
        "/console/keys", data={"name": "pwned"}, headers={"origin": "http://localhost"}
    )
    assert no_token.status_code == 403
    api = person.client.post("/v1/keys", json={"name": "pwned"}, headers={"origin": "http://localhost"})
    assert api.status_code == 403 and api.json()["error"]["code"] == "csrf_failed"
    cross_api = person.client.post(
        "/v1/keys", json={"name": "pwned"}, headers={**evil, "x-csrf-token": person.csrf}
    )
    assert cross_api.status_code == 403
    no_origin = person.client.post("/v1/keys", json={"name": "pwned"}, headers={"x-csrf-token": person.csrf})
    assert no_origin.status_code == 403
    signin = TestClient(console_app, base_url="http://localhost").post(
        "/console/signin", data={"email": person.email, "password": PASSWORD}, headers=evil
    )
    assert signin.status_code == 403  # login CSRF
    assert aws.keys.list(person.account_id) == []
    ok = person.client.post("/v1/keys", json={"name": "mine"}, headers=person.write_headers())
    assert ok.status_code == 201


def test_a_session_manages_and_calls_models_only_with_the_csrf_token(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "ops@example.com")
    for path in ("/v1/keys", "/v1/credits", "/v1/limits", "/v1/usage", "/v1/generations", "/v1/account"):
        assert person.client.get(path).status_code == 200, path
    aws.accounts.top_up(person.account_id, 1_000_000, "ops", "x")
    body = {"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    forged = person.client.post("/v1/chat/completions", json=body, headers={"origin": "https://evil.example"})
    assert forged.status_code == 403 and aws.accounts.require(person.account_id).available == 1_000_000
    chat = person.client.post("/v1/chat/completions", json=body, headers=person.write_headers())
    assert chat.status_code == 200
    record = person.client.get(f"/v1/generations/{chat.json()['id']}").json()
    assert record["source"] == "playground"


def test_a_cookie_replayed_after_sign_out_is_refused_everywhere(console_app: Any) -> None:
    person = sign_up(console_app, "mallory-victim@example.com")
    stolen = person.client.cookies[COOKIE_NAME]
    out = person.client.post(
        "/console/signout",
        data={"csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
        follow_redirects=False,
    )
    assert out.status_code == 303 and COOKIE_NAME not in person.client.cookies
    thief = TestClient(console_app, base_url="http://localhost", cookies={COOKIE_NAME: stolen})
    assert thief.get("/v1/keys").status_code == 401
    page = thief.get("/console/keys", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/signin?next=")


@pytest.mark.parametrize("which", ["idle", "absolute"])
def test_expired_sessions_are_refused(console_app: Any, aws: Any, which: str) -> None:
    person = sign_up(console_app, f"sleepy-{which}@example.com")
    table = aws.settings.table_name("sessions")
    item = aws.client.scan(TableName=table)["Items"][0]
    past = str(int(time.time()) - 1)
    field = "idle_until" if which == "idle" else "expires_at"
    aws.client.update_item(
        TableName=table,
        Key={"session_hash": item["session_hash"]},
        UpdateExpression=f"SET {field} = :p",
        ExpressionAttributeValues={":p": {"N": past}},
    )
    assert person.client.get("/v1/account").status_code == 401
    assert person.client.get("/console", follow_redirects=False).status_code == 303


def test_activity_extends_the_idle_expiry_but_never_the_absolute_one(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "busy@example.com")
    table = aws.settings.table_name("sessions")
    item = aws.client.scan(TableName=table)["Items"][0]
    soon = int(time.time()) + 60
    aws.client.update_item(
        TableName=table,
        Key={"session_hash": item["session_hash"]},
        UpdateExpression="SET idle_until = :s",
        ExpressionAttributeValues={":s": {"N": str(soon)}},
    )
    assert person.client.get("/v1/account").status_code == 200
    after = aws.client.get_item(TableName=table, Key={"session_hash": item["session_hash"]})["Item"]
    assert int(after["idle_until"]["N"]) > soon
    assert int(after["idle_until"]["N"]) <= int(after["expires_at"]["N"]) == int(item["expires_at"]["N"])


def test_session_cookie_is_httponly_samesite_and_secure_off_localhost(console_app: Any) -> None:
    person = sign_up(console_app, "cookie@example.com")
    client = TestClient(console_app, base_url="https://console.example.com")
    signed = client.post(
        "/console/signin",
        data={"email": person.email, "password": PASSWORD},
        headers={"origin": "https://console.example.com"},
        follow_redirects=False,
    )
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie and "Path=/" in cookie
    local = TestClient(console_app, base_url="http://localhost").post(
        "/console/signin",
        data={"email": person.email, "password": PASSWORD},
        headers={"origin": "http://localhost"},
        follow_redirects=False,
    )
    assert "Secure" not in local.headers["set-cookie"]


def test_pages_forbid_framing_and_inline_script_and_escape_hostile_names(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "xss@example.com")
    created = person.client.post(
        "/console/keys",
        data={"name": HOSTILE, "csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
    )
    assert [r.status_code for r in created.history] == [303] and created.status_code == 200
    key = re.search(r'value="(sk-empiriolabs-\w+)"', created.text).group(1)  # type: ignore[union-attr]
    aws.accounts.top_up(person.account_id, 1_000_000, "xss", "x")
    TestClient(console_app).post(
        "/v1/chat/completions",
        json={"model": "local/echo", "messages": [{"role": "user", "content": HOSTILE}], "max_tokens": 20},
        headers={
            "Authorization": f"Bearer {key}",
            "X-Title": HOSTILE,
            "HTTP-Referer": f"javascript:{HOSTILE}",
        },
    )
    for path in (
        "/console",
        "/console?split=key",
        "/console/keys",
        "/console/logs",
        "/console/settings",
        "/console/models",
        "/console/models/local/echo",
    ):
        page = person.client.get(path)
        assert page.status_code == 200, path
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        assert HOSTILE not in page.text, path
        assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", page.text), path
        assert _inline_handlers_and_images(page.text) == ([], []), path
    logs = person.client.get("/console/logs").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in logs
    row = re.search(r'href="/console/logs/(req_\w+)"', logs).group(1)  # type: ignore[union-attr]
    detail = person.client.get(f"/console/logs/{row}")
    assert detail.status_code == 200 and HOSTILE not in detail.text  # the app's name and URL, as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail.text and 'href="javascript:' not in detail.text
    assert _inline_handlers_and_images(detail.text) == ([], [])


def test_keys_never_appear_in_urls_or_pages_after_creation(console_app: Any) -> None:
    person = sign_up(console_app, "once@example.com")
    created = person.client.post(
        "/console/keys",
        data={"name": "ci", "csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/console/keys"
    shown = person.client.get("/console/keys")
    key = re.search(r'value="(sk-empiriolabs-\w+)"', shown.text).group(1)  # type: ignore[union-attr]
    assert (
        key not in str(created.headers) and key not in created.text
    )  # neither the URL nor a cookie holds it
    assert key not in person.client.get("/console/keys").text  # shown once
    assert key not in person.client.get("/v1/keys").text


def test_reloading_after_creating_rotating_or_revoking_a_key_repeats_nothing(console_app: Any) -> None:
    person = sign_up(console_app, "prg@example.com")
    form = {"name": "ci", "csrf_token": person.csrf}
    created = person.client.post("/console/keys", data=form, headers={"origin": "http://localhost"})
    assert created.url.path == "/console/keys" and created.request.method == "GET"
    assert "Your new key" in created.text
    again = person.client.get(created.url)  # what a reload of the page after the POST does
    assert "Your new key" not in again.text and "sk-empiriolabs-" not in again.text.replace(
        "sk-empiriolabs-...", ""
    )
    [key] = person.client.get("/v1/keys").json()["data"]
    rotated = person.client.post(
        f"/console/keys/{key['id']}/rotate",
        data={"grace_seconds": "0", "csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
    )
    assert rotated.url.path == "/console/keys" and "New secret for" in rotated.text
    assert "New secret for" not in person.client.get("/console/keys").text
    revoked = person.client.post(
        f"/console/keys/{key['id']}/revoke",
        data={"csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
    )
    assert revoked.url.path == "/console/keys" and "revoked" in revoked.text
    assert "revoked. Requests" not in person.client.get("/console/keys").text
    assert len(person.client.get("/v1/keys").json()["data"]) == 0


def test_a_stashed_secret_needs_both_halves_and_is_sealed_in_the_session(console_app: Any, aws: Any) -> None:
    from empirio.domain.sessions import hash_token
    from functions.console.reveal import COOKIE

    person = sign_up(console_app, "halves@example.com")
    created = person.client.post(
        "/console/keys",
        data={"name": "ci", "csrf_token": person.csrf},
        headers={"origin": "http://localhost"},
        follow_redirects=False,
    )
    pad = person.client.cookies.get(COOKIE)
    assert (
        pad
        and "HttpOnly" in created.headers["set-cookie"]
        and "Path=/console/keys" in created.headers["set-cookie"]
    )
    item = aws.client.get_item(
        TableName=aws.settings.table_name("sessions"),
        Key={"session_hash": {"S": hash_token(person.client.cookies.get(COOKIE_NAME))}},
    )["Item"]
    assert "sk-empiriolabs-" not in str(item)  # the session holds only the sealed half
    person.client.cookies.delete(COOKIE)
    assert (
        "Your new key" not in person.client.get("/console/keys").text
    )  # the pad alone is gone: nothing shown


def test_next_after_sign_in_never_leaves_the_console(console_app: Any) -> None:
    person = sign_up(console_app, "nav@example.com")
    person.client.post(
        "/console/signout", data={"csrf_token": person.csrf}, headers={"origin": "http://localhost"}
    )
    for target, expected in (
        ("/console/logs", "/console/logs"),
        ("https://evil.example", "/console"),
        ("//evil.example", "/console"),
        ("/console//evil.example", "/console"),
    ):
        signed = person.client.post(
            "/console/signin",
            data={"email": person.email, "password": PASSWORD, "next": target},
            headers={"origin": "http://localhost"},
            follow_redirects=False,
        )
        assert signed.headers["location"] == expected
        person.client.cookies.clear()


def test_a_password_reset_ends_every_session_of_that_person(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "reset-me@example.com")
    other_device = sign_up_again(console_app, person.email)
    assert person.client.get("/v1/account").status_code == other_device.get("/v1/account").status_code == 200
    anonymous = TestClient(console_app, base_url="http://localhost")
    origin = {"origin": "http://localhost"}
    sent: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: sent.append(record.getMessage())  # type: ignore[method-assign]
    outbox = logging.getLogger("empirio.outbox")
    outbox.addHandler(handler)
    outbox.setLevel(logging.INFO)
    try:
        anonymous.post("/console/reset", data={"email": person.email}, headers=origin)
    finally:
        outbox.removeHandler(handler)
    code = re.search(r"code=(\S+)", sent[-1]).group(1)  # type: ignore[union-attr]
    done = anonymous.post(
        "/console/reset/confirm",
        data={"email": person.email, "code": code, "password": "N3w-password!"},
        headers=origin,
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert person.client.get("/v1/account").status_code == 401
    assert other_device.get("/v1/account").status_code == 401


def sign_up_again(app: Any, email: str) -> Any:
    """A second signed-in browser of the same person."""
    client = TestClient(app, base_url="http://localhost")
    signed = client.post(
        "/console/signin", data={"email": email, "password": PASSWORD}, headers={"origin": "http://localhost"}
    )
    assert signed.status_code == 200
    return client


def test_console_errors_are_console_pages_and_the_api_keeps_json(console_app: Any) -> None:
    person = sign_up(console_app, "lost@example.com")
    missing = person.client.get("/console/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Page not found" in missing.text and 'href="/console"' in missing.text
    assert missing.headers["content-security-policy"] and "Sign out" in missing.text  # the console's own page
    api = person.client.get("/v1/no-such-route")
    assert api.status_code == 404 and api.json()["error"]["message"].startswith("Unknown route")
    forged = person.client.post("/console/keys", data={"name": "x"}, headers={"origin": "http://localhost"})
    assert forged.status_code == 403 and "This form expired" in forged.text
    assert forged.headers["content-type"].startswith("text/html")
    signed_out = TestClient(console_app, base_url="http://localhost").get("/console/nowhere")
    assert (
        signed_out.status_code == 404 and "Sign in" in signed_out.text and "Sign out" not in signed_out.text
    )


def test_a_crash_under_console_is_a_500_page_with_the_request_id(console_app: Any, monkeypatch: Any) -> None:
    from functions.console import pages

    person = sign_up(console_app, "crash@example.com")

    def broken(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "dashboard", broken)
    client = TestClient(console_app, base_url="http://localhost", raise_server_exceptions=False)
    client.cookies.update(person.client.cookies)
    crashed = client.get("/console")
    assert crashed.status_code == 500 and "Something went wrong" in crashed.text
    assert re.search(r"<code>req_[0-9a-f]{32}</code>", crashed.text) and "boom" not in crashed.text
