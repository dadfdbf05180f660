"""Per-key spend caps, expiry and model allowlists, and a request's own maximum cost, through the app."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from empirio.domain.money import format_usd, parse_usd
from empirio.domain.pricing import affordable_output_tokens, worst_case_micros
from empirio.domain.tokens import estimate_prompt_tokens
from empirio.formats import openai_chat
from tests.contract.conftest import Gateway, concurrent_statuses, concurrent_statuses_by_key

HELLO = [{"role": "user", "content": "Hello"}]
ECHO = {"model": "local/echo", "messages": HELLO, "max_tokens": 2}
COST = 16  # local/echo with max_tokens=2 holds and costs exactly 16 µ$ (see test_inference_money)


def create_key(gateway: Gateway, **options: Any) -> dict[str, Any]:
    response = gateway.client.post(
        "/v1/keys", json={"name": "teammate", **options}, headers={"Authorization": f"Bearer {gateway.key}"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def listed(gateway: Gateway, key_id: str) -> dict[str, Any]:
    keys = gateway.client.get("/v1/keys", headers={"Authorization": f"Bearer {gateway.key}"}).json()["data"]
    return next(k for k in keys if k["id"] == key_id)


def raise_rpm(gateway: Gateway, account_id: str) -> None:
    gateway.operator.client.patch(
        f"/admin/accounts/{account_id}/limits", json={"rpm": 1000}, headers=gateway.operator.headers
    )


@pytest.mark.parametrize("period", ["day", "week", "month", "lifetime"])
def test_a_key_capped_at_ten_requests_admits_exactly_ten_of_fifty_while_the_account_has_plenty(
    gateway: Gateway, period: str
) -> None:
    raise_rpm(gateway, gateway.account_id)
    key = create_key(gateway, spend_limit=format_usd(10 * COST), spend_limit_period=period)
    assert (key["spend_limit"], key["spend_limit_period"], key["spend"]) == (
        format_usd(10 * COST),
        period,
        "0.00",
    )
    statuses = concurrent_statuses(gateway.client.app, 50, key["key"], ECHO)
    assert Counter(statuses) == {200: 10, 402: 40}
    books = gateway.context.accounts.require(gateway.account_id)
    assert books.charged == 10 * COST and books.held == 0
    assert listed(gateway, key["id"])["spend"] == format_usd(10 * COST)
    refused = gateway.client.post(
        "/v1/chat/completions", json=ECHO, headers={"Authorization": f"Bearer {key['key']}"}
    ).json()["error"]
    assert refused["code"] == "key_spend_limit_reached" and key["id"] in refused["message"]
    assert ("resets at" in refused["message"]) == (period != "lifetime")


def test_a_capped_key_and_the_balance_binding_at_once_never_overspend_either(gateway: Gateway) -> None:
    account = gateway.operator.create_account("both", format_usd(10 * COST))
    raise_rpm(gateway, account["id"])
    manage = gateway.operator.create_key(account["id"])
    capped = gateway.client.post(
        "/v1/keys",
        json={"spend_limit": format_usd(6 * COST)},
        headers={"Authorization": f"Bearer {manage}"},
    ).json()
    by_key = concurrent_statuses_by_key(gateway.client.app, {capped["key"]: 16, manage: 16}, ECHO)
    results = {"capped": by_key[capped["key"]], "free": by_key[manage]}
    served = Counter(results["capped"])[200], Counter(results["free"])[200]
    assert served[0] <= 6 and sum(served) == 10  # each charge is its hold: the balance serves exactly 10
    assert set(results["capped"]) | set(results["free"]) <= {200, 402}
    books = gateway.context.accounts.require(account["id"])
    assert books.available == 0 and books.held == 0 and books.charged == 10 * COST
    keys = gateway.client.get("/v1/keys", headers={"Authorization": f"Bearer {manage}"}).json()["data"]
    spend = parse_usd(next(k for k in keys if k["id"] == capped["id"])["spend"])
    assert spend == served[0] * COST <= 6 * COST


def test_a_capped_keys_spend_is_what_was_charged_once_settled_and_nothing_for_a_failure(
    gateway: Gateway,
) -> None:
    key = create_key(gateway, spend_limit="1.00", spend_limit_period="month")
    headers = {"Authorization": f"Bearer {key['key']}"}
    body = {"model": "test/openai", "messages": HELLO, "max_tokens": 500}  # holds far more than it costs
    for _ in range(3):
        assert gateway.client.post("/v1/chat/completions", json=body, headers=headers).status_code == 200
    failed = {**body, "model": "test/openai-fail-400"}
    assert gateway.client.post("/v1/chat/completions", json=failed, headers=headers).status_code == 400
    records = gateway.usage_records()
    assert len(records) == 4
    assert (
        parse_usd(listed(gateway, key["id"])["spend"]) == sum(r["cost"] for r in records) == gateway.charged()
    )


def test_an_expired_key_gets_401_saying_so(gateway: Gateway) -> None:
    now = int(time.time())
    key = create_key(gateway, expires_at=now + 100)
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert gateway.client.post("/v1/chat/completions", json=ECHO, headers=headers).status_code == 200
    gateway.context.clock = lambda: now + 100
    response = gateway.client.post("/v1/chat/completions", json=ECHO, headers=headers)
    assert response.status_code == 401
    assert (
        response.json()["error"]["code"] == "key_expired" and "expired" in response.json()["error"]["message"]
    )
    past = gateway.client.post(
        "/v1/keys", json={"expires_at": now - 1}, headers={"Authorization": f"Bearer {gateway.key}"}
    )
    assert past.status_code == 400


def test_a_key_limited_to_some_models_refuses_the_others_with_403(gateway: Gateway) -> None:
    key = create_key(gateway, allowed_models=["local/echo", "gpt-5-codex"])  # an alias names its model
    assert key["allowed_models"] == ["local/echo", "test/openai"]
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert gateway.client.post("/v1/chat/completions", json=ECHO, headers=headers).status_code == 200
    for body in ({**ECHO, "model": "test/anthropic"}, {**ECHO, "models": ["test/bedrock"]}):
        response = gateway.client.post("/v1/chat/completions", json=body, headers=headers)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "model_not_allowed" and "local/echo, test/openai" in error["message"]
    unknown = gateway.client.post(
        "/v1/keys", json={"allowed_models": ["x/none"]}, headers={"Authorization": f"Bearer {gateway.key}"}
    )
    assert unknown.status_code == 400


def test_x_max_cost_lowers_the_output_cap_upstream_and_bounds_the_charge(gateway: Gateway) -> None:
    body = {"model": "test/openai", "messages": HELLO}
    model = gateway.context.catalog.get("test/openai")
    assert model is not None
    prompt = estimate_prompt_tokens(openai_chat.parse_request(body))
    max_cost = worst_case_micros(model.pricing, prompt, 0) + 150  # room for 10 output tokens at $15/M
    expected_cap = affordable_output_tokens(model.pricing, prompt, max_cost, model.max_output_tokens)
    assert expected_cap == 10
    before = gateway.balance()
    headers = {"Authorization": f"Bearer {gateway.key}", "x-max-cost": format_usd(max_cost)}
    response = gateway.client.post("/v1/chat/completions", json=body, headers=headers)
    assert response.status_code == 200
    assert gateway.upstream.last("/openai")["body"]["max_tokens"] == expected_cap
    assert 0 < before - gateway.balance() <= max_cost
    via_body = gateway.client.post(
        "/v1/chat/completions",
        json={**body, "max_cost": format_usd(max_cost)},
        headers={"Authorization": f"Bearer {gateway.key}"},
    )
    assert via_body.status_code == 200


def test_a_max_cost_below_the_prompt_gets_402_and_no_upstream_call(gateway: Gateway) -> None:
    calls = len(gateway.upstream.requests)
    before = gateway.balance()
    for path, body, extra in (
        ("/v1/chat/completions", {"model": "test/openai", "messages": HELLO}, {}),
        (
            "/v1/messages",
            {"model": "test/anthropic", "messages": HELLO, "max_tokens": 100},
            {"x-api-key": ""},
        ),
    ):
        headers = {"Authorization": f"Bearer {gateway.key}", "x-max-cost": "0.000001", **extra}
        headers = {k: v or gateway.key for k, v in headers.items()}
        response = gateway.client.post(path, json=body, headers=headers)
        assert response.status_code == 402, response.text
    assert len(gateway.upstream.requests) == calls and gateway.balance() == before
    bad = gateway.client.post(
        "/v1/chat/completions",
        json={"model": "test/openai", "messages": HELLO},
        headers={"Authorization": f"Bearer {gateway.key}", "x-max-cost": "-1"},
    )
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "x-max-cost"
    assert parse_usd("0.000001") == 1


def rotate(gateway: Gateway, key_id: str, **body: Any) -> Any:
    return gateway.client.post(
        f"/v1/keys/{key_id}/rotate", json=body, headers={"Authorization": f"Bearer {gateway.key}"}
    )


def test_a_rotated_secret_works_through_its_grace_period_and_then_gets_401(gateway: Gateway) -> None:
    now = int(time.time())
    gateway.context.clock = lambda: now
    key = create_key(gateway)
    rotated = rotate(gateway, key["id"], grace_seconds=3600)
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["id"] == key["id"] and body["key"] != key["key"] and body["previous_expires_at"] == now + 3600
    assert [
        k["superseded_at"] is not None
        for k in gateway.client.get("/v1/keys", headers={"Authorization": f"Bearer {gateway.key}"}).json()[
            "data"
        ]
        if k["id"] == key["id"]
    ] in ([False, True], [True, False])  # both listed until then

    def status(secret: str) -> int:
        response = gateway.client.post(
            "/v1/chat/completions", json=ECHO, headers={"Authorization": f"Bearer {secret}"}
        )
        return response.status_code

    assert status(key["key"]) == 200 and status(body["key"]) == 200
    gateway.context.clock = lambda: now + 3599
    assert status(key["key"]) == 200
    gateway.context.clock = lambda: now + 3600
    assert status(key["key"]) == 401 and status(body["key"]) == 200
    listed_ids = [
        k["id"]
        for k in gateway.client.get("/v1/keys", headers={"Authorization": f"Bearer {gateway.key}"}).json()[
            "data"
        ]
    ]
    assert listed_ids.count(key["id"]) == 1
    assert rotate(gateway, key["id"], grace_seconds=8 * 24 * 3600).status_code == 400


def test_revoking_a_rotated_key_revokes_both_secrets(gateway: Gateway) -> None:
    key = create_key(gateway)
    new = rotate(gateway, key["id"]).json()["key"]
    deleted = gateway.client.delete(
        f"/v1/keys/{key['id']}", headers={"Authorization": f"Bearer {gateway.key}"}
    )
    assert deleted.status_code == 200
    from empirio.web.auth import principal_cache

    principal_cache.clear()
    for secret in (key["key"], new):
        response = gateway.client.post(
            "/v1/chat/completions", json=ECHO, headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 401
    assert rotate(gateway, key["id"]).status_code == 404


def test_a_rotation_during_traffic_keeps_the_spend_counted_once(gateway: Gateway) -> None:
    raise_rpm(gateway, gateway.account_id)
    key = create_key(gateway, spend_limit=format_usd(10 * COST), spend_limit_period="month")
    headers = {"Authorization": f"Bearer {key['key']}"}
    for _ in range(4):
        assert gateway.client.post("/v1/chat/completions", json=ECHO, headers=headers).status_code == 200
    new = rotate(gateway, key["id"], grace_seconds=600).json()["key"]
    by_key = concurrent_statuses_by_key(gateway.client.app, {key["key"]: 20, new: 20}, ECHO)
    results = {"old": by_key[key["key"]], "new": by_key[new]}
    assert Counter(results["old"] + results["new"]) == {200: 6, 402: 34}  # the window was not reset
    assert listed(gateway, key["id"])["spend"] == format_usd(10 * COST)
    assert gateway.charged() == 10 * COST


def test_a_hold_the_sweeper_expires_gives_its_amount_back_to_the_keys_period(gateway: Gateway) -> None:
    from empirio.domain.keys import hash_key
    from empirio.services.metering import MeterRequest, sweep

    key = create_key(gateway, spend_limit="1.00", spend_limit_period="week")
    principal = gateway.context.keys.principal(hash_key(key["key"]))
    model = gateway.context.catalog.get("local/echo")
    assert principal is not None and model is not None
    admission = gateway.context.meter.admit(
        MeterRequest(
            principal=principal, request_id="req_crashed", model=model, prompt_tokens=COST - 4, max_tokens=2
        )
    )
    assert parse_usd(listed(gateway, key["id"])["spend"]) == admission.hold.amount == COST
    report = sweep(gateway.context.ledger, now=admission.hold.expires_at + 1)  # the function died: no settle
    assert report.expired == 1
    assert listed(gateway, key["id"])["spend"] == "0.00"
