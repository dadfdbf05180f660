"""The operator's API: accounts, top-ups (idempotent), keys and limits, in the documented interface."""

from typing import Any

import pytest

from tests.conftest import Operator


def test_account_is_created_with_its_opening_credits(operator: Operator) -> None:
    account = operator.create_account("acme", "10.00")
    assert account["id"].startswith("acct_")
    assert account["balance"] == "10.00" and account["held"] == "0.00" and account["currency"] == "USD"
    assert account["limits"] == {"rpm": 50, "tpm": 2_000_000, "max_keys": 50, "max_chats": 50}


def test_top_up_adds_to_the_balance(operator: Operator, account: dict[str, Any]) -> None:
    response = operator.top_up(account["id"], "5.00")
    assert response.status_code == 200
    assert response.json()["balance"] == "15.00"
    assert operator.top_up(account["id"], "0.000001").json()["balance"] == "15.000001"


def test_same_idempotency_key_twice_credits_once(operator: Operator, account: dict[str, Any]) -> None:
    first = operator.top_up(account["id"], "5.00", idempotency_key="topup-42")
    second = operator.top_up(account["id"], "5.00", idempotency_key="topup-42")
    assert first.status_code == second.status_code == 200
    assert first.json()["balance"] == second.json()["balance"] == "15.00"
    assert second.json()["credit"]["replayed"] is True
    got = operator.client.get(f"/admin/accounts/{account['id']}", headers=operator.headers).json()
    assert got["balance"] == "15.00" and got["topped_up"] == "15.00"


def test_same_idempotency_key_with_another_body_is_refused(
    operator: Operator, account: dict[str, Any]
) -> None:
    assert operator.top_up(account["id"], "5.00", idempotency_key="k").status_code == 200
    response = operator.top_up(account["id"], "6.00", idempotency_key="k")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    balance = operator.client.get(f"/admin/accounts/{account['id']}", headers=operator.headers).json()[
        "balance"
    ]
    assert balance == "15.00"


def test_top_up_of_unknown_account_is_404_and_writes_nothing(operator: Operator, aws: Any) -> None:
    response = operator.top_up("acct_missing", "5.00", idempotency_key="x")
    assert response.status_code == 404
    ledger = aws.client.scan(TableName=aws.settings.table_name("ledger"))["Items"]
    assert ledger == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/admin/accounts", {"name": "x", "credits": "ten"}, "credits"),
        ("/admin/accounts", {"name": "x", "credits": "1.0000001"}, "credits"),
        ("/admin/accounts", {"name": "x", "credits": 10}, "credits"),
        ("/admin/accounts", {"credits": "1.00"}, "name"),
        ("/admin/accounts", {"name": "x", "surprise": 1}, "surprise"),
        ("/admin/accounts/{id}/credits", {"amount": "-5.00"}, "amount"),
        ("/admin/accounts/{id}/credits", {"amount": "0"}, "amount"),
        ("/admin/accounts/{id}/credits", {}, "amount"),
        ("/admin/accounts/{id}/keys", {"scopes": ["root"]}, "scopes"),
        ("/admin/accounts/{id}/keys", {"scopes": []}, "scopes"),
    ],
)
def test_malformed_admin_bodies_are_400_naming_the_field(
    operator: Operator, account: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    response = operator.client.post(path.format(id=account["id"]), json=body, headers=operator.headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == field and field in error["message"]
    assert error["type"] == "invalid_request_error"


def test_patch_limits_changes_only_the_given_limits(operator: Operator, account: dict[str, Any]) -> None:
    response = operator.client.patch(
        f"/admin/accounts/{account['id']}/limits", json={"rpm": 20, "max_keys": 3}, headers=operator.headers
    )
    assert response.status_code == 200
    assert response.json() == {
        "account_id": account["id"],
        "rpm": 20,
        "tpm": 2_000_000,
        "max_keys": 3,
        "max_chats": 50,
    }
    bad = operator.client.patch(
        f"/admin/accounts/{account['id']}/limits", json={"rpm": 0}, headers=operator.headers
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "rpm"
    missing = operator.client.patch(
        "/admin/accounts/acct_nope/limits", json={"rpm": 5}, headers=operator.headers
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-admin-token"}]
)
def test_admin_api_requires_the_admin_token(operator: Operator, headers: dict[str, str]) -> None:
    response = operator.client.post("/admin/accounts", json={"name": "x"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_a_customer_key_is_not_an_admin_token(operator: Operator, api_key: str) -> None:
    response = operator.client.get("/admin/accounts", headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 401


def test_accounts_are_listed_with_a_cursor(operator: Operator) -> None:
    ids = {operator.create_account(f"a{i}")["id"] for i in range(3)}
    seen: set[str] = set()
    after = None
    while True:
        page = operator.client.get(
            "/admin/accounts",
            params={"limit": 2, **({"after": after} if after else {})},
            headers=operator.headers,
        ).json()
        seen |= {a["id"] for a in page["data"]}
        after = page["next"]
        if not after:
            break
    assert ids <= seen
