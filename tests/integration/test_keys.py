"""API keys: creation under the cap (even concurrently), auth by either header, revocation, no plaintext stored."""

import json
import threading
from typing import Any

from starlette.testclient import TestClient

from empirio.domain.keys import generate_key
from tests.conftest import Operator


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_is_shown_once_then_only_as_prefix_and_last_four(
    operator: Operator, account: dict[str, Any], api_key: str
) -> None:
    listed = operator.client.get("/v1/keys", headers=_auth(api_key)).json()["data"]
    assert len(listed) == 1
    assert "key" not in listed[0]
    assert listed[0]["display"] == f"sk-empiriolabs-...{api_key[-4:]}"
    assert api_key not in json.dumps(listed)


def test_twenty_concurrent_creations_at_45_keys_leave_exactly_50(
    aws: Any, operator: Operator, account: dict[str, Any]
) -> None:
    for _ in range(45):
        operator.create_key(account["id"])
    app = operator.client.app
    statuses: list[tuple[int, dict[str, Any]]] = []
    barrier = threading.Barrier(20)

    def create() -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post(
                f"/admin/accounts/{account['id']}/keys", json={"name": "burst"}, headers=operator.headers
            )
            statuses.append((response.status_code, response.json()))

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [body for status, body in statuses if status == 201]
    refused = [body for status, body in statuses if status != 201]
    assert len(created) == 5 and len(refused) == 15
    assert all(
        r["error"]["code"] == "key_limit_reached" and "50 of 50" in r["error"]["message"] for r in refused
    )
    assert {status for status, _ in statuses} == {201, 409}
    stored = aws.client.scan(TableName=aws.settings.table_name("keys"))["Items"]
    assert len(stored) == 50
    got = operator.client.get(f"/admin/accounts/{account['id']}", headers=operator.headers).json()
    assert got["usage"]["keys"] == 50


def test_a_broken_checksum_is_refused_without_touching_dynamodb(
    operator: Operator, api_key: str, dynamo_calls: Any
) -> None:
    broken = api_key[:-1] + ("A" if api_key[-1] != "A" else "B")
    dynamo_calls.reset()
    response = operator.client.get("/v1/models", headers=_auth(broken))
    assert response.status_code == 401
    assert dynamo_calls.names == []


def test_unknown_revoked_and_malformed_keys_get_the_same_401(
    operator: Operator, account: dict[str, Any]
) -> None:
    revoked = operator.create_key(account["id"])
    key_id = operator.client.get(f"/admin/accounts/{account['id']}/keys", headers=operator.headers).json()[
        "data"
    ][0]["id"]
    assert operator.client.get("/v1/models", headers=_auth(revoked)).status_code == 200
    deleted = operator.client.delete(
        f"/admin/accounts/{account['id']}/keys/{key_id}", headers=operator.headers
    )
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True

    bodies = []
    for key in (revoked, generate_key(), "sk-empiriolabs-nope", ""):
        response = operator.client.get("/v1/models", headers=_auth(key))
        assert response.status_code == 401
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["error"]["code"] == "invalid_api_key"


def test_revocation_frees_a_slot_and_a_second_revoke_is_404(
    operator: Operator, account: dict[str, Any], api_key: str
) -> None:
    created = operator.client.post("/v1/keys", json={"name": "second"}, headers=_auth(api_key)).json()
    assert created["key"].startswith("sk-empiriolabs-") and created["scopes"] == ["inference"]
    first = operator.client.delete(f"/v1/keys/{created['id']}", headers=_auth(api_key))
    assert first.status_code == 200
    again = operator.client.delete(f"/v1/keys/{created['id']}", headers=_auth(api_key))
    assert again.status_code == 404 and again.json()["error"]["code"] == "key_not_found"
    assert operator.client.get("/v1/limits", headers=_auth(api_key)).json()["usage"]["keys"] == 1


def test_a_key_cannot_revoke_another_accounts_key(operator: Operator, api_key: str) -> None:
    other = operator.create_account("other")
    operator.create_key(other["id"])
    other_key_id = operator.client.get(
        f"/admin/accounts/{other['id']}/keys", headers=operator.headers
    ).json()["data"][0]["id"]
    response = operator.client.delete(f"/v1/keys/{other_key_id}", headers=_auth(api_key))
    assert response.status_code == 404


def test_bearer_and_x_api_key_both_work_and_the_first_well_formed_wins(
    operator: Operator, api_key: str
) -> None:
    assert operator.client.get("/v1/models", headers={"x-api-key": api_key}).status_code == 200
    both = {"Authorization": "Bearer some-oauth-token", "x-api-key": api_key}
    assert operator.client.get("/v1/models", headers=both).status_code == 200


def test_an_inference_key_cannot_manage_keys_or_read_billing(
    operator: Operator, account: dict[str, Any]
) -> None:
    key = operator.create_key(account["id"], scopes=("inference",))
    for method, path in (("GET", "/v1/keys"), ("POST", "/v1/keys"), ("GET", "/v1/credits")):
        response = operator.client.request(
            method, path, headers=_auth(key), json={} if method == "POST" else None
        )
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert operator.client.get("/v1/limits", headers=_auth(key)).status_code == 200


def test_no_table_holds_a_key_plaintext(aws: Any, operator: Operator, account: dict[str, Any]) -> None:
    keys = [operator.create_key(account["id"]) for _ in range(3)]
    keys.append(operator.client.post("/v1/keys", json={}, headers=_auth(keys[0])).json()["key"])
    dump = ""
    for name in aws.client.list_tables()["TableNames"]:
        dump += json.dumps(aws.client.scan(TableName=name)["Items"])
    for key in keys:
        assert key not in dump and key[len("sk-empiriolabs-") : -4] not in dump


def test_credits_and_limits_views(operator: Operator, api_key: str) -> None:
    credits = operator.client.get("/v1/credits", headers=_auth(api_key)).json()
    assert {k: credits[k] for k in ("balance", "held", "currency")} == {
        "balance": "10.00",
        "held": "0.00",
        "currency": "USD",
    }
    limits = operator.client.get("/v1/limits", headers=_auth(api_key)).json()
    assert {k: limits[k] for k in ("rpm", "tpm", "max_keys", "max_chats")} == {
        "rpm": 50,
        "tpm": 2_000_000,
        "max_keys": 50,
        "max_chats": 50,
    }
    assert {k: limits["usage"][k] for k in ("keys", "chats")} == {"keys": 1, "chats": 0}
