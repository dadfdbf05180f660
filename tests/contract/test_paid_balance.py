"""A paid balance is always usable and a capped key answers only 200 or 402 (#25), through the app.

The in-process admission hint once kept a balance that every hold lowered and nothing raised, so a top-up made
elsewhere (the billing webhook, the admin API) was refused until the process restarted, and a key near its
cap lost every attempt to a condition that counted its spend twice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from empirio.domain.money import format_usd, parse_usd
from tests.contract.conftest import Gateway, concurrent_statuses

HELLO = [{"role": "user", "content": "Hello"}]
CHAT = {"model": "local/echo", "messages": HELLO}  # no max_tokens: the cap is what the balance affords


def chat(gateway: Gateway, key: str, body: dict[str, Any] = CHAT) -> Any:
    return gateway.client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})


def raise_rpm(gateway: Gateway, account_id: str) -> None:
    response = gateway.operator.client.patch(
        f"/admin/accounts/{account_id}/limits", json={"rpm": 1000}, headers=gateway.operator.headers
    )
    assert response.status_code == 200, response.text


def test_a_top_up_is_usable_at_once_after_refusals_and_holds(gateway: Gateway) -> None:
    """The issue's reproduction: $0.02, an image request too dear (402), chats until the balance is spent,
    then $5 from the admin API: the very next chat is admitted, and so are the ones after it."""
    account = gateway.operator.create_account("repro", "0.02")
    key = gateway.operator.create_key(account["id"])
    raise_rpm(gateway, account["id"])
    image = gateway.client.post(
        "/v1/images/generations",
        json={"model": "local/image", "prompt": "a cat", "n": 10},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert image.status_code == 402, image.text
    statuses = [chat(gateway, key).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 200]  # each settles for a few µ$: the hold of the last comes back
    assert gateway.operator.top_up(account["id"], "5.00").status_code in {200, 201}
    after = [chat(gateway, key) for _ in range(5)]
    assert [r.status_code for r in after] == [200] * 5, after[0].text
    stored = gateway.context.accounts.require(account["id"])
    credits = gateway.client.get("/v1/credits", headers={"Authorization": f"Bearer {key}"}).json()
    assert stored.held == 0 and parse_usd(str(credits["balance"])) == stored.available > 5_000_000


def test_thirty_cheap_requests_in_a_row_on_five_cents_all_answer(gateway: Gateway) -> None:
    account = gateway.operator.create_account("cheap", "0.05")
    key = gateway.operator.create_key(account["id"])
    raise_rpm(gateway, account["id"])
    responses = [chat(gateway, key) for _ in range(30)]
    assert Counter(r.status_code for r in responses) == {200: 30}, responses[-1].text
    stored = gateway.context.accounts.require(account["id"])
    assert stored.held == 0 and stored.available + stored.charged == 50_000


def test_a_refusal_at_zero_points_to_credits_not_to_max_tokens(gateway: Gateway) -> None:
    account = gateway.operator.create_account("empty", "0.00")
    key = gateway.operator.create_key(account["id"])
    refused = chat(gateway, key)
    assert refused.status_code == 402
    message = refused.json()["error"]["message"]
    assert "$0.00" in message and "Add credits" in message and "max_tokens" not in message
    gateway.operator.top_up(account["id"], "1.00")
    assert chat(gateway, key).status_code == 200


def _capped_key(gateway: Gateway, limit: str) -> dict[str, Any]:
    account = gateway.operator.create_account("capped", "10.00")
    manage = gateway.operator.create_key(account["id"])
    raise_rpm(gateway, account["id"])
    created = gateway.client.post(
        "/v1/keys",
        json={"name": "capped", "spend_limit": limit, "spend_limit_period": "day"},
        headers={"Authorization": f"Bearer {manage}"},
    )
    assert created.status_code == 201, created.text
    return {**created.json(), "manage": manage}


def _listed_spend(gateway: Gateway, key: dict[str, Any]) -> str:
    keys = gateway.client.get("/v1/keys", headers={"Authorization": f"Bearer {key['manage']}"}).json()["data"]
    return str(next(k for k in keys if k["id"] == key["id"])["spend"])


def test_a_key_capped_at_a_hundredth_of_a_cent_answers_only_200_or_402_in_a_row(gateway: Gateway) -> None:
    key = _capped_key(gateway, "0.0001")
    responses = [chat(gateway, key["key"]) for _ in range(50)]
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 402} and statuses[200] >= 1, statuses
    spend = _listed_spend(gateway, key)
    assert parse_usd(spend) <= 100
    refused = [r.json()["error"] for r in responses if r.status_code == 402]
    assert refused and all(e["code"] == "key_spend_limit_reached" for e in refused)
    assert f"${spend} of $0.0001 spent" in refused[-1]["message"], (spend, refused[-1]["message"])


def test_a_key_capped_at_a_hundredth_of_a_cent_answers_only_200_or_402_concurrently(gateway: Gateway) -> None:
    key = _capped_key(gateway, "0.0001")
    statuses = Counter(concurrent_statuses(gateway.client.app, 50, key["key"], CHAT))
    assert set(statuses) <= {200, 402} and statuses[200] >= 1, statuses
    assert parse_usd(_listed_spend(gateway, key)) <= 100
    # once the burst is over, what is left of the cap is still usable or refused, never busy
    after = chat(gateway, key["key"], {**CHAT, "max_tokens": 1})
    assert after.status_code in {200, 402}
    if after.status_code == 402:
        assert (
            f"${_listed_spend(gateway, key)} of ${format_usd(100)} spent" in after.json()["error"]["message"]
        )
