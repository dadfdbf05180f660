"""Upstreams that misbehave: unparseable JSON, a web page instead of JSON or SSE, a stream that ends early or
trickles, a connection reset mid-stream. Each ends with the documented status (or an error event once the
stream has begun), the books exact (charged for what was delivered, nothing otherwise) and one usage record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contract.conftest import Gateway

HELLO = [{"role": "user", "content": "Hello"}]
ROUTES = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}


def call(gateway: Gateway, provider: str, scenario: str, stream: bool) -> Any:
    body = {"model": f"test/{provider}-{scenario}", "messages": HELLO, "max_tokens": 100, "stream": stream}
    headers = {"Authorization": f"Bearer {gateway.key}", "x-api-key": gateway.key}
    return gateway.client.post(ROUTES[provider], json=body, headers=headers)


def the_books_agree(gateway: Gateway) -> dict[str, Any]:
    [record] = gateway.usage_records()
    account = gateway.context.accounts.require(gateway.account_id)
    assert account.held == 0, "a hold was left pending"
    assert account.charged == record["cost"]
    if record["billing_status"] == "not_charged":
        assert record["cost"] == 0 and record["output_tokens"] == 0
    else:
        assert record["billing_status"] == "partial_upstream_error" and record["output_tokens"] > 0
        assert record["cost"] > 0
    assert record["status"] == "error" and record["error_type"] == "upstream"
    return record


@pytest.fixture(autouse=True)
def short_total_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPIRIO_UPSTREAM_TOTAL_TIMEOUT", "1.0")  # the trickle outlasts it by far


@pytest.mark.parametrize("provider", ROUTES)
@pytest.mark.parametrize(
    ("scenario", "status"), [("garbage", 502), ("html", 502), ("truncated", 502), ("trickle", 504)]
)
def test_a_buffered_answer_gone_wrong_is_mapped_and_costs_nothing(
    gateway: Gateway, provider: str, scenario: str, status: int
) -> None:
    response = call(gateway, provider, scenario, stream=False)
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["type"] == "error") if provider == "anthropic" else ("message" in body["error"])
    record = the_books_agree(gateway)
    assert record["billing_status"] == "not_charged" and record["error_status"] == status


@pytest.mark.parametrize("provider", ROUTES)
def test_a_web_page_instead_of_a_stream_is_502_before_the_first_byte(gateway: Gateway, provider: str) -> None:
    response = call(gateway, provider, "html", stream=True)
    assert response.status_code == 502 and "text/html" in response.text
    assert the_books_agree(gateway)["billing_status"] == "not_charged"


@pytest.mark.parametrize("provider", ROUTES)
@pytest.mark.parametrize("scenario", ["garbage", "truncated", "trickle", "cut"])
def test_a_stream_that_breaks_after_it_began_ends_with_an_error_event_and_charges_what_was_delivered(
    gateway: Gateway, provider: str, scenario: str
) -> None:
    response = call(gateway, provider, scenario, stream=True)
    assert response.status_code == 200  # the stream had begun
    events = [line for line in response.text.splitlines() if line.startswith("data: ")]
    last = json.loads(events[-1].removeprefix("data: "))
    assert "error" in last, events[-3:]  # an error event, never a silent or a "successful" end
    record = the_books_agree(gateway)
    delivered = "".join(
        (json.loads(e[6:]).get("choices") or [{}])[0].get("delta", {}).get("content") or ""
        if provider == "openai"
        else (json.loads(e[6:]).get("delta") or {}).get("text") or ""
        for e in events[:-1]
    )
    assert bool(delivered) == (record["billing_status"] == "partial_upstream_error")


@pytest.mark.parametrize("stream", [False, True])
def test_a_lone_surrogate_from_the_upstream_goes_back_as_its_escape_not_a_500(
    gateway: Gateway, stream: bool
) -> None:
    """An upstream may send half of a surrogate pair as a JSON escape (an emoji split across its chunks): the
    answer is still valid JSON carrying the same escape, and the request is charged as any other."""
    response = call(gateway, "openai", "surrogate", stream)
    assert response.status_code == 200, response.text
    assert "\\ud83d" in response.text
    if stream:
        events = [line[6:] for line in response.text.splitlines() if line.startswith("data: {")]
        text = "".join(c["delta"].get("content") or "" for e in events for c in json.loads(e)["choices"])
    else:
        text = response.json()["choices"][0]["message"]["content"]
    assert text.startswith("Hello \ud83d")
    [record] = gateway.usage_records()
    assert record["status"] == "ok" and record["cost"] == gateway.charged() > 0
