"""The benchmark's arithmetic (the measurements themselves run in `make bench`, never in tests)."""

from bench.pricing import (
    APIGW_REST_PER_MILLION,
    DEFAULT_WRU_PER_REQUEST,
    MODES,
    VOLUMES,
    break_even,
    cost_model,
    cost_per_million,
    line_items,
    per_million,
)
from bench.run import percentiles


def test_percentiles_are_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1..100 ms
    assert percentiles(values) == {"p50": 51.0, "p95": 96.0, "p99": 100.0}


def test_the_summary_is_classic_lambdas_line_items_at_30m() -> None:
    cost = cost_per_million({"buffered": {"1": {"added_ex_dynamodb_ms": {"p50": 4.0}}}})
    assert cost["api_gateway"] == APIGW_REST_PER_MILLION
    assert cost["dynamodb_writes"] == DEFAULT_WRU_PER_REQUEST * 0.625
    parts = sum(v for k, v in cost.items() if isinstance(v, float) and k != "total_per_million_usd")
    assert abs(cost["total_per_million_usd"] - parts) < 0.05
    assert cost["assumptions"]["gateway_seconds_measured"] == 0.02  # 4 ms + two 8 ms transactions


def test_every_mode_pays_the_shared_items_and_only_managed_instances_pay_a_vpc() -> None:
    for volume in VOLUMES:
        classic, managed, provisioned = (line_items(mode, volume, 0.02, 0.006, 10) for mode in MODES)
        shared = set(classic) - {"compute"}
        assert {k: classic[k] for k in shared} == {k: managed[k] for k in shared}
        assert "vpc" in managed and "vpc" not in classic and managed["vpc"] > 0
        assert all(value > 0 for value in [*classic.values(), *managed.values()])
        assert {k: v for k, v in provisioned.items() if k != "dynamodb_writes"} == {
            k: v for k, v in managed.items() if k != "dynamodb_writes"
        }
    # provisioned capacity: cheaper than on-demand for a steady load, never under its minimum units' cost
    at_30m = line_items("managed_instances_provisioned", VOLUMES[1], 0.02, 0.006, 10)["dynamodb_writes"]
    assert at_30m < 10 * 0.625 and abs(at_30m - 10 * 0.00065 / 3600 / 0.7 * 1e6) < 1e-9
    floor = line_items("managed_instances_provisioned", 1_000, 0.02, 0.006, 10)["dynamodb_writes"]
    assert floor > 1000 * 10 * 0.625
    # fixed monthly costs (the fleet, the VPC, metrics) weigh less per request as volume grows
    assert per_million("managed_instances", VOLUMES[0], 0.02, 0.006, 10) > per_million(
        "managed_instances", VOLUMES[2], 0.02, 0.006, 10
    )


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
    gap = per_million("classic_lambda", volume, 0.02, 0.006, 10) - per_million(
        "managed_instances", volume, 0.02, 0.006, 10
    )
    assert abs(gap) < 0.01
    assert break_even(0.02, 0.006, 10) == volume
