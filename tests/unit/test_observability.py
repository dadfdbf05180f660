"""Logs never carry keys or the admin token; request metrics go out as EMF with low-cardinality dimensions."""

import json
import logging

import pytest

from empirio.domain.keys import generate_key
from empirio.domain.usage_record import UsageRecord
from empirio.observability import RedactSecrets, request_metrics


def test_keys_and_the_admin_token_are_masked_in_log_records(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPIRIO_ADMIN_TOKEN", "adm-super-secret-token")
    key = generate_key()
    record = logging.LogRecord(
        "t", logging.INFO, "", 0, "key %s and token %s", (key, "adm-super-secret-token"), None
    )
    RedactSecrets().filter(record)
    message = record.getMessage()
    assert key not in message and "adm-super-secret-token" not in message and "[redacted]" in message


def test_request_metrics_are_emf_by_model_and_provider(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    request_metrics(
        UsageRecord.from_item(
            {
                "model": "openai/gpt-4o",
                "provider": "openai",
                "input_tokens": 10,
                "output_tokens": 5,
                "cost": 75,
                "latency_ms": 120,
                "ttft_ms": 40,
                "status": "ok",
                "request_id": "req_x",
            }
        )
    )
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    metrics = {m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {
        "Requests",
        "InputTokens",
        "OutputTokens",
        "CostMicroUSD",
        "Latency",
        "TimeToFirstToken",
    } <= metrics
    dimensions = set(emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])
    assert dimensions <= {"model", "provider", "service"} and "req_x" not in json.dumps(emf)
    assert emf["model"] == "openai/gpt-4o" and emf["InputTokens"] in (10, [10.0])


def test_log_records_carry_the_request_id() -> None:
    from empirio.observability import current_request_id

    token = current_request_id.set("req_abc")
    try:
        record = logging.LogRecord("t", logging.INFO, "", 0, "hello", (), None)
        RedactSecrets().filter(record)
        assert record.request_id == "req_abc"  # type: ignore[attr-defined]
    finally:
        current_request_id.reset(token)
