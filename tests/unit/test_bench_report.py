"""The benchmark's arithmetic (the measurements themselves run in `make bench`, never in tests)."""

from bench.pricing import (
    APIGW_REST_PER_MILLION,
    DEFAULT_WRU_PER_REQUEST,
    break_even,
    classic_per_million,
    cost_model,
    cost_per_million,
    managed_per_million,
)
from bench.run import percentiles


def test_percentiles_are_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentiles(values) == {"p50": 51.0, "p95": 96.0, "p99": 100.0}


def test_cost_adds_lambda_api_gateway_and_dynamodb() -> None:
    cost = cost_per_million({"buffered": {"1": {"added_ex_dynamodb_ms": {"p50": 4.0}}}})
    assert (
        cost["api_gateway"] == APIGW_REST_PER_MILLION and cost["dynamodb"] == DEFAULT_WRU_PER_REQUEST * 0.625
    )
    parts = cost["lambda_compute"] + cost["lambda_requests"] + cost["api_gateway"] + cost["dynamodb"]
    assert abs(cost["total_per_million_usd"] - parts) < 0.02
    assert cost["assumptions"]["gateway_seconds_measured"] == 0.02  # 4 ms + two 8 ms transactions


def test_the_cost_model_compares_both_modes_and_breaks_even_where_they_meet() -> None:
    results = {
        "buffered": {
            "1": {
                "added_ex_dynamodb_ms": {"p50": 4.0},
                "own_cpu_ms_per_request": 6.0,
                "write_units_per_request": 10,
            }
        }
    }
    model = cost_model(results)
    assert [r["requests_a_month"] for r in model["rows"]] == [1_000_000, 30_000_000, 300_000_000]
    small, _, large = model["rows"]
    assert small["classic_lambda"] < small["managed_instances"]  # a fleet idles at low volume
    assert large["managed_instances"] < large["classic_lambda"]  # and is cheaper than paying for every wait
    volume = model["break_even_requests_a_month"]
    assert abs(classic_per_million(0.02, 10) - managed_per_million(volume, 0.006, 10)) < 0.01
    assert break_even(0.02, 0.006, 10) == volume
