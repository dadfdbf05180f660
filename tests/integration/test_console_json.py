"""Every console page's JSON twin (``?format=json``): behind the same session gate as the page, and the same
figures as the public API routes the page mirrors (money as the API's decimal strings)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import Person, sign_up

PAGES = {
    "/console": {"balance", "held", "today", "week", "month", "daily", "hourly", "latency", "onboarding"},
    "/console/logs": {"rows", "listing", "query", "export", "models", "apps", "keys", "timezone"},
    "/console/playground": {"models", "max_chats", "default"},
    "/console/models": {"models", "query", "providers", "modalities", "endpoints"},
    "/console/models/local/echo": {"model", "examples"},
    "/console/keys": {"keys", "limit", "in_use", "models", "periods"},
    "/console/settings": {"account", "limits"},
    "/console/billing": {"balance", "held", "terms", "purchases", "ledger", "settings", "cancelled"},
}


def _used_account(console_app: Any, aws: Any, email: str) -> tuple[Person, dict[str, Any]]:
    """A person with $5 of credits, one API key and one playground call."""
    person = sign_up(console_app, email)
    aws.accounts.top_up(person.account_id, 5_000_000, "ops", "seed")
    key = person.client.post("/v1/keys", json={"name": "ci"}, headers=person.write_headers())
    assert key.status_code == 201
    body = {"model": "local/echo", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    chat = person.client.post("/v1/chat/completions", json=body, headers=person.write_headers())
    assert chat.status_code == 200
    return person, chat.json()


def _twin(person: Person, path: str, **params: str) -> dict[str, Any]:
    answer = person.client.get(path, params={**params, "format": "json"})
    assert answer.status_code == 200, (path, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    return body


def test_every_page_answers_format_json_with_its_view_model(console_app: Any, aws: Any) -> None:
    person, _ = _used_account(console_app, aws, "twins@example.com")
    for path, keys in PAGES.items():
        body = _twin(person, path)
        assert keys <= set(body), (path, keys - set(body))
        assert "<" not in str(body.get("title", "")), path  # figures, not markup


def test_accept_application_json_gets_the_twin_and_a_browser_gets_the_page(console_app: Any) -> None:
    person = sign_up(console_app, "accept@example.com")
    twin = person.client.get("/console/settings", headers={"accept": "application/json"})
    assert twin.headers["content-type"].startswith("application/json") and "limits" in twin.json()
    browser = person.client.get("/console/settings", headers={"accept": "text/html,application/json;q=0.9"})
    assert browser.headers["content-type"].startswith("text/html") and "<h1>Settings</h1>" in browser.text


@pytest.mark.parametrize("path", sorted(PAGES))
def test_a_twin_without_a_session_redirects_to_sign_in_and_back(console_app: Any, path: str) -> None:
    stranger = TestClient(console_app, base_url="http://localhost")
    answer = stranger.get(path, params={"format": "json"}, follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/console/signin?next=") and "format%3Djson" in location
    assert location.split("next=", 1)[1].startswith(path.replace("/", "%2F"))


def test_the_twins_figures_are_the_apis(console_app: Any, aws: Any) -> None:
    person, chat = _used_account(console_app, aws, "figures@example.com")
    api = person.client
    credits = api.get("/v1/credits").json()
    dashboard, billing = _twin(person, "/console"), _twin(person, "/console/billing")
    assert (dashboard["balance"], dashboard["held"]) == (credits["balance"], credits["held"])
    assert (billing["balance"], billing["held"]) == (credits["balance"], credits["held"])
    assert isinstance(dashboard["today"]["cost"], str)  # money as the API writes it
    record = api.get(f"/v1/generations/{chat['id']}").json()
    assert dashboard["month"]["requests"] == 1 and dashboard["month"]["cost"] == record["cost"]
    shown = _twin(person, f"/console/logs/{chat['id']}")["record"]
    assert shown.items() >= record.items()  # the API's record, plus the key's name the page shows
    listed = api.get("/v1/generations").json()["data"]
    assert [r["id"] for r in _twin(person, "/console/logs")["listing"]["data"]] == [r["id"] for r in listed]
    keys = api.get("/v1/keys").json()["data"]
    page_keys = _twin(person, "/console/keys")["keys"]
    assert [(k["id"], k["name"]) for k in page_keys] == [(k["id"], k["name"]) for k in keys]
    models = api.get("/v1/models").json()["data"]
    # The page lists the whole catalog (retired models too, marked); the API only those that can be called.
    catalog = {m["id"]: m for m in _twin(person, "/console/models")["models"]}
    assert {m["id"] for m in models} <= set(catalog) and models
    assert all(catalog[m["id"]]["pricing"] == m["pricing"] for m in models)
    assert _twin(person, "/console/models/local/echo")["model"] == api.get("/v1/models/local/echo").json()
    account = api.get("/v1/account").json()
    settings = _twin(person, "/console/settings")
    assert settings["account"] == {"account_id": account["id"], "timezone": account["timezone"]}
    assert [row[1] for row in settings["limits"]] == [
        account["limits"][f] for f in ("rpm", "tpm", "max_keys", "max_chats")
    ]
    assert _twin(person, "/console/playground")["max_chats"] == account["limits"]["max_chats"]
    purchases = api.get("/v1/billing/purchases").json()["data"]
    assert [p["id"] for p in billing["purchases"]] == [p["id"] for p in purchases]


def test_missing_things_are_404_json_in_the_twin_and_pages_in_html(console_app: Any) -> None:
    person = sign_up(console_app, "missing@example.com")
    for path in ("/console/logs/gen_nothing", "/console/models/no/such-model"):
        twin = person.client.get(path, params={"format": "json"})
        assert twin.status_code == 404 and twin.json()["error"]["message"], path
        html = person.client.get(path)
        assert html.status_code == 404 and html.headers["content-type"].startswith("text/html"), path


def test_the_keys_twin_never_carries_a_new_secret_and_leaves_it_for_the_page(console_app: Any) -> None:
    person = sign_up(console_app, "once@example.com")
    form = {"name": "shown-once", "csrf_token": person.csrf}
    created = person.client.post(
        "/console/keys", data=form, headers={"origin": person.origin}, follow_redirects=False
    )
    assert created.status_code == 303
    twin = person.client.get("/console/keys", params={"format": "json"})
    assert [k["name"] for k in twin.json()["keys"]] == ["shown-once"]
    secret = re.search(r"sk-empiriolabs-[A-Za-z0-9_-]{20,}", person.client.get("/console/keys").text)
    assert secret and secret.group(0) not in twin.text


def test_console_writes_without_the_csrf_token_are_still_refused(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "writes@example.com")
    origin = {"origin": person.origin}
    refused = [
        person.client.post(path, data=data, headers=origin, follow_redirects=False)
        for path, data in (
            ("/console/settings", {"timezone": "Asia/Kolkata"}),
            ("/console/settings", {"timezone": "Asia/Kolkata", "csrf_token": "forged"}),
            ("/console/keys", {"name": "x"}),
            ("/console/keys/key_x/revoke", {}),
            ("/console/keys/key_x/rotate", {"grace_seconds": "60"}),
        )
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert all("This form expired" in r.text for r in refused)
    cross = person.client.post(
        "/console/settings",
        data={"timezone": "Asia/Kolkata", "csrf_token": person.csrf},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert aws.accounts.require(person.account_id).timezone != "Asia/Kolkata"
    assert aws.keys.list(person.account_id) == []
    signed_out = TestClient(console_app, base_url="http://localhost").post(
        "/console/settings", data={"timezone": "UTC"}, headers=origin, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/console/signin?next=%2Fconsole%2Fsettings"
    ok = person.client.post(
        "/console/settings", data={"timezone": "Asia/Kolkata", "csrf_token": person.csrf}, headers=origin
    )
    assert ok.status_code == 200 and aws.accounts.require(person.account_id).timezone == "Asia/Kolkata"
