"""Saved playground chats: CRUD, newest-first pages, the 50-chat cap under concurrency, size and ownership."""

from __future__ import annotations

import threading
from typing import Any

from starlette.testclient import TestClient

from empirio.domain.chats import MAX_CHAT_BYTES
from tests.conftest import Operator, sign_up


def _manage(operator: Operator, account_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {operator.create_key(account_id, ('manage',))}"}


def test_create_read_change_list_and_delete(client: Any, operator: Operator, account: dict[str, Any]) -> None:
    auth = _manage(operator, account["id"])
    created = client.post("/v1/chats", json={"title": "First"}, headers=auth)
    assert created.status_code == 201
    chat = created.json()
    assert chat["object"] == "chat" and chat["title"] == "First" and chat["messages"] == []
    patched = client.patch(
        f"/v1/chats/{chat['id']}",
        json={
            "columns": [{"model": "local/echo", "params": {"temperature": 0.2}}],
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": "hi",
                    "column": 0,
                    "model": "local/echo",
                    "cost": "0.000012",
                    "usage": {"input_tokens": 3, "output_tokens": 1},
                    "latency_ms": 12,
                    "ttft_ms": 5,
                },
            ],
        },
        headers=auth,
    ).json()
    assert patched["title"] == "First" and len(patched["messages"]) == 2
    again = client.get(f"/v1/chats/{chat['id']}", headers=auth).json()
    assert again["messages"][1]["cost"] == "0.000012" and again["columns"][0]["params"] == {
        "temperature": 0.2
    }
    renamed = client.patch(f"/v1/chats/{chat['id']}", json={"title": "Renamed"}, headers=auth).json()
    assert renamed["title"] == "Renamed" and len(renamed["messages"]) == 2
    listed = client.get("/v1/chats", headers=auth).json()
    assert [c["id"] for c in listed["data"]] == [chat["id"]] and listed["data"][0]["message_count"] == 2
    assert "messages" not in listed["data"][0] and (listed["count"], listed["limit"]) == (1, 50)
    assert client.delete(f"/v1/chats/{chat['id']}", headers=auth).json()["deleted"] is True
    assert client.get(f"/v1/chats/{chat['id']}", headers=auth).status_code == 404
    assert client.delete(f"/v1/chats/{chat['id']}", headers=auth).status_code == 404
    assert client.get("/v1/limits", headers=auth).json()["usage"]["chats"] == 0


def test_pages_are_newest_first_and_complete(
    client: Any, operator: Operator, account: dict[str, Any]
) -> None:
    auth = _manage(operator, account["id"])
    ids = [client.post("/v1/chats", json={"title": f"c{i}"}, headers=auth).json()["id"] for i in range(12)]
    seen, after = [], None
    while True:
        page = client.get(
            "/v1/chats", params={"limit": 5, **({"after": after} if after else {})}, headers=auth
        )
        body = page.json()
        seen += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            break
        after = body["last_id"]
    assert seen == list(reversed(ids))


def test_thirty_concurrent_creations_at_45_chats_leave_exactly_50(
    aws: Any, client: Any, operator: Operator, account: dict[str, Any]
) -> None:
    auth = _manage(operator, account["id"])
    for i in range(45):
        assert client.post("/v1/chats", json={"title": f"c{i}"}, headers=auth).status_code == 201
    app = client.app
    answers: list[Any] = []
    barrier = threading.Barrier(30)

    def create() -> None:
        with TestClient(app) as own:
            barrier.wait()
            answers.append(own.post("/v1/chats", json={"title": "burst"}, headers=auth))

    threads = [threading.Thread(target=create) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201] * 5 + [409] * 25
    refused = [a.json()["error"] for a in answers if a.status_code == 409]
    assert all(e["code"] == "chat_limit_reached" and "50 of 50" in e["message"] for e in refused)
    assert "Delete a chat" in refused[0]["message"]
    stored = aws.client.scan(TableName=aws.settings.table_name("chats"))["Items"]
    assert len(stored) == 50 and aws.accounts.require(account["id"]).chat_count == 50
    oldest = client.get("/v1/chats", params={"limit": 100}, headers=auth).json()["data"][-1]["id"]
    client.delete(f"/v1/chats/{oldest}", headers=auth)
    assert client.post("/v1/chats", json={"title": "freed"}, headers=auth).status_code == 201


def test_an_oversized_chat_is_refused_whole(client: Any, operator: Operator, account: dict[str, Any]) -> None:
    auth = _manage(operator, account["id"])
    chat = client.post("/v1/chats", json={"title": "big"}, headers=auth).json()
    huge = [{"role": "user", "content": "x" * 1000} for _ in range(MAX_CHAT_BYTES // 1000 + 5)]
    refused = client.patch(f"/v1/chats/{chat['id']}", json={"messages": huge}, headers=auth)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "chat_too_large" and f"{MAX_CHAT_BYTES:,}" in refused.text
    assert client.get(f"/v1/chats/{chat['id']}", headers=auth).json()["messages"] == []
    assert client.post("/v1/chats", json={"messages": huge}, headers=auth).status_code == 413
    assert client.get("/v1/chats", headers=auth).json()["count"] == 1


def test_another_accounts_chat_is_not_found(client: Any, operator: Operator) -> None:
    mine = _manage(operator, operator.create_account("mine")["id"])
    theirs = _manage(operator, operator.create_account("theirs")["id"])
    chat = client.post("/v1/chats", json={"title": "private"}, headers=mine).json()
    for method in ("GET", "DELETE"):
        assert client.request(method, f"/v1/chats/{chat['id']}", headers=theirs).status_code == 404
    assert client.patch(f"/v1/chats/{chat['id']}", json={"title": "x"}, headers=theirs).status_code == 404
    assert client.get("/v1/chats", headers=theirs).json()["data"] == []
    key = operator.create_key(operator.create_account("x")["id"], ("inference",))
    assert client.get("/v1/chats", headers={"Authorization": f"Bearer {key}"}).status_code == 403


def test_a_console_session_saves_chats_with_csrf(console_app: Any) -> None:
    person = sign_up(console_app, "chatter@example.com")
    assert person.client.post("/v1/chats", json={"title": "no token"}).status_code == 403
    saved = person.client.post("/v1/chats", json={"title": "with token"}, headers=person.write_headers())
    assert saved.status_code == 201
    assert person.client.get("/v1/chats").json()["count"] == 1


def test_a_chat_with_an_answer_that_failed_saves_and_reopens_with_its_error(
    client: Any, operator: Operator, account: dict[str, Any]
) -> None:
    # The playground keeps a failed answer as a turn with its error (a 402 links to Billing when reopened).
    auth = _manage(operator, account["id"])
    failed = {
        "role": "assistant",
        "content": "",
        "column": 0,
        "model": "local/echo",
        "error": "Insufficient credits: the balance of $0.00 affords 0 output tokens.",
        "error_status": 402,
    }
    created = client.post(
        "/v1/chats",
        json={"title": "Broke", "messages": [{"role": "user", "content": "hi"}, failed]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    reopened = client.get(f"/v1/chats/{created.json()['id']}", headers=auth).json()
    assert reopened["messages"][1] == failed
    too_long = client.patch(
        f"/v1/chats/{created.json()['id']}",
        json={"messages": [{**failed, "error": "x" * 2001}]},
        headers=auth,
    )
    assert too_long.status_code == 400 and "messages.0.error" in too_long.json()["error"]["message"]
