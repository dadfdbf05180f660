"""The typed usage record writes the item the settle transaction always wrote, and reads any record back."""

from __future__ import annotations

from typing import Any

from empirio.domain.attribution import App
from empirio.domain.usage_record import Outcome, Units, UsageRecord, unit_outcome

CHAT_ITEM: dict[str, Any] = {
    "request_id": "req_1",
    "account_id": "acct_1",
    "key_id": "key_1",
    "model": "openai/gpt-4o",
    "provider": "openai",
    "created_at": 1_800_000_000,
    "sort_key": "001800000000#req_1",
    "hour_shard": "001799998400#03",
    "input_tokens": 10,
    "output_tokens": 5,
    "cached_input_tokens": 0,
    "reasoning_tokens": 0,
    "cost": 75,
    "price": 75,
    "house_loss": 0,
    "price_version": "v1",
    "endpoint": "/v1/chat/completions",
    "source": "api",
    "streamed": True,
    "finish_reason": "stop",
    "status": "ok",
    "billing_status": "complete",
    "latency_ms": 120,
    "upstream_latency_ms": 100,
    "ttft_ms": 40,
    "app": "Acme",
    "app_title": "Acme",
    "attempts": [{"model": "a/b", "provider": "a", "status": 503, "latency_ms": 3, "error": "down"}],
}


def test_a_stored_record_reads_back_to_the_same_item_in_the_same_order() -> None:
    item = UsageRecord.from_item(CHAT_ITEM).to_item()
    assert list(item.items()) == list(CHAT_ITEM.items())


def test_a_failed_unit_request_is_recorded_as_not_charged_with_its_units() -> None:
    outcome = unit_outcome(
        "local/image",
        "local",
        "/v1/images/generations",
        price_version=None,
        source="api",
        latency_ms=9,
        upstream_latency_ms=7,
        app=App(),
        error="x" * 400,
        error_status=502,
        units=Units(images=0, requested_images=2),
    )
    record = UsageRecord("req_2", "acct_1", "key_1", 5, "s", "h", outcome)
    item = record.to_item()
    assert list(item)[14:] == [  # no price given, no price_version, no finish_reason, no app: left out
        "endpoint",
        "source",
        "streamed",
        "status",
        "error_type",
        "error_status",
        "error_message",
        "billing_status",
        "latency_ms",
        "upstream_latency_ms",
        "images",
        "requested_images",
    ]
    assert (item["status"], item["billing_status"], item["streamed"], len(item["error_message"])) == (
        "error",
        "not_charged",
        False,
        300,
    )


def test_an_older_record_reads_with_defaults_and_keeps_what_this_type_does_not_name() -> None:
    record = UsageRecord.from_item({"request_id": "req_3", "model": "m", "created_at": 7, "legacy": 1})
    assert (record.cost, record.price, record.outcome.ttft_ms, record.outcome.units.images) == (
        0,
        None,
        None,
        None,
    )
    assert record.outcome == Outcome(model="m") and record.to_item()["legacy"] == 1
