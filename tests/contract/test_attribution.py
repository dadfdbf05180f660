"""App attribution as OpenRouter users send it (``HTTP-Referer``, ``X-Title`` through the SDK's default headers):
recorded per request, shown in generations, and a ``group_by`` of usage, from raw records and from rollups."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

from empirio.domain.money import parse_usd
from empirio.domain.usage import HOUR
from empirio.services.rollup import run_rollup
from tests.contract.conftest import Gateway, wire_cost

SENT = [  # (HTTP-Referer, X-Title) of each request
    ("https://writer.acme.example", "Acme Writer"),
    ("https://writer.acme.example", "Acme Writer"),
    (None, "Acme Writer"),
    ("https://bolt.example/cli", "Bolt CLI"),
    ("https://bolt.example/cli", "Bolt CLI"),
    ("https://untitled.example", None),  # an app with no title counts under its URL
    (None, None),
]


def test_group_by_app_totals_equal_the_requests_sent_with_each_title(gateway: Gateway) -> None:
    expected_requests: Counter[str] = Counter()
    expected_cost: Counter[str] = Counter()
    ids: dict[str, str] = {}
    for i, (referer, title) in enumerate(SENT):
        headers = {k: v for k, v in (("HTTP-Referer", referer), ("X-Title", title)) if v}
        client = gateway.openai(default_headers=headers)
        completion = client.chat.completions.create(
            model="test/openai" if i % 2 else "local/echo",
            messages=[{"role": "user", "content": f"Hello number {i}"}],
        )
        app = title or referer or ""
        expected_requests[app] += 1
        expected_cost[app] += wire_cost(completion.usage.model_extra["cost"])  # type: ignore[union-attr]
        ids[completion.id] = app

    auth = {"Authorization": f"Bearer {gateway.key}"}
    body = gateway.client.get("/v1/usage?group_by=app", headers=auth).json()
    by_app = {row["app"]: row for row in body["data"]}
    assert {a: r["requests"] for a, r in by_app.items()} == dict(expected_requests)
    assert {a: int(parse_usd(r["cost"])) for a, r in by_app.items()} == dict(expected_cost)
    assert int(parse_usd(body["totals"]["cost"])) == gateway.charged()

    # Once the hour is rolled up the same groups come from rollup cells: the same answer.
    now = int(time.time())
    run_rollup(gateway.context.usage, now=now + 2 * HOUR)
    again = gateway.client.get(f"/v1/usage?group_by=app,model&end={now + 2}", headers=auth).json()
    rolled: Counter[str] = Counter()
    for row in again["data"]:
        rolled[row["app"]] += row["requests"]
    assert rolled == expected_requests and again["totals"]["cost"] == body["totals"]["cost"]

    for generation_id, app in ids.items():
        generation = gateway.client.get(f"/v1/generations/{generation_id}", headers=auth).json()
        assert (generation["app"] or "") == app
    listed = gateway.client.get("/v1/generations?app=Acme Writer", headers=auth).json()["data"]
    assert len(listed) == 3 and {g["app_title"] for g in listed} == {"Acme Writer"}
    assert {g["http_referer"] for g in listed} == {"https://writer.acme.example", None}
    assert sum(Decimal(g["cost"]) for g in listed) * 1_000_000 == expected_cost["Acme Writer"]


def test_attribution_headers_are_stored_as_plain_bounded_text(gateway: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}", "X-Title": "  Tab\tand\u001fcell " + "x" * 500}
    body = {"model": "local/echo", "messages": [{"role": "user", "content": "Hi"}]}
    assert gateway.client.post("/v1/chat/completions", json=body, headers=headers).status_code == 200
    [record] = gateway.usage_records()
    assert record["app_title"].startswith("Tabandcell x") and len(record["app_title"]) == 200
    assert record["app"] == record["app_title"] and record.get("http_referer") is None
