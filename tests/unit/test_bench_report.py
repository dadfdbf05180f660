"""The benchmark's arithmetic (the measurements themselves run in `make bench`, never in tests)."""

from bench.pricing import APIGW_REST_PER_MILLION, WRU_PER_REQUEST, cost_per_million
from bench.run import percentiles


def test_percentiles_are_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentiles(values) == {"p50": 51.0, "p95": 96.0, "p99": 100.0}


def test_cost_adds_lambda_api_gateway_and_dynamodb() -> None:
    cost = cost_per_million({"buffered": {"1": {"added_ex_dynamodb_ms": {"p50": 4.0}}}})
    assert cost["api_gateway"] == APIGW_REST_PER_MILLION and cost["dynamodb"] == WRU_PER_REQUEST * 0.625
    parts = cost["lambda_compute"] + cost["lambda_requests"] + cost["api_gateway"] + cost["dynamodb"]
    assert abs(cost["total_per_million_usd"] - parts) < 0.02
    assert cost["assumptions"]["gateway_seconds_measured"] == 0.02  # 4 ms + two 8 ms transactions
