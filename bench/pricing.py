"""USD per million reference requests on AWS (a 1 s model answer), for classic Lambda and for Lambda Managed
Instances at three monthly volumes, from the measured gateway time, CPU and write units and the list prices below
(us-east-1, on-demand; every input is printed with the result). `python -m bench.pricing` prints the table from
the last `make bench`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

# us-east-1 list prices (USD), from the AWS pricing pages.
LAMBDA_ARM_GB_SECOND = 0.0000133334  # aws.amazon.com/lambda/pricing (Arm)
LAMBDA_PER_MILLION = 0.20  # requests, classic and Managed Instances alike
MANAGED_INSTANCES_FEE = 0.15  # "15% premium on the EC2 on-demand instance price" (Lambda pricing page)
EC2_INSTANCE = "c7g.large"  # 2 vCPU, 4 GiB, Graviton; aws.amazon.com/ec2/pricing/on-demand
EC2_HOURLY = 0.0725
EC2_VCPUS = 2
MIN_INSTANCES = (
    3  # Lambda launches three instances by default, one per zone (Managed Instances best practices)
)
APIGW_REST_PER_MILLION = 3.50  # first 333 M requests a month
DYNAMODB_WRU_PER_MILLION = 0.625  # on-demand write request units
HOURS_A_MONTH = 730
# Assumptions about the workload.
DEFAULT_WRU_PER_REQUEST = 14  # as `make bench` counts them (it reports its measurement)
INFERENCE_MEMORY_GB = 1.0
UPSTREAM_SECONDS = 1.0  # the reference request: a model that answers in one second
PEAK_TO_AVERAGE = 3.0  # instances are sized for three times the month's average rate
TARGET_CPU = 0.5  # and kept at half their CPU
# moto is not DynamoDB: its time is replaced by an assumed in-region latency per transaction (AWS documents
# single-digit milliseconds; transactions are slower than single writes).
DYNAMODB_TRANSACTION_SECONDS = 0.008
VOLUMES = (1_000_000, 30_000_000, 300_000_000)  # requests a month


def _inputs(results: dict[str, Any]) -> tuple[float, float, float]:
    """(gateway seconds a request, CPU seconds a request, write units a request) from a bench result."""
    c1 = results["buffered"]["1"]
    gateway_s = c1["added_ex_dynamodb_ms"]["p50"] / 1000 + 2 * DYNAMODB_TRANSACTION_SECONDS
    cpu_s = float(c1.get("own_cpu_ms_per_request", 6.0)) / 1000
    wru = float(c1.get("write_units_per_request") or DEFAULT_WRU_PER_REQUEST)
    return gateway_s, cpu_s, wru


def _shared(wru: float) -> float:
    """Per million, either mode: the front door, Lambda's request charge and DynamoDB's writes."""
    return APIGW_REST_PER_MILLION + LAMBDA_PER_MILLION + wru * DYNAMODB_WRU_PER_MILLION


def classic_per_million(gateway_s: float, wru: float) -> float:
    compute = (gateway_s + UPSTREAM_SECONDS) * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND * 1e6
    return compute + _shared(wru)


def instances(monthly: int, cpu_s: float) -> int:
    """Instances for a month's volume: its peak rate's CPU at the target utilisation, never under the minimum."""
    peak_rps = monthly / (HOURS_A_MONTH * 3600) * PEAK_TO_AVERAGE
    vcpus = peak_rps * cpu_s / TARGET_CPU
    return max(MIN_INSTANCES, math.ceil(vcpus / EC2_VCPUS))


def managed_per_million(monthly: int, cpu_s: float, wru: float) -> float:
    fleet = instances(monthly, cpu_s) * EC2_HOURLY * (1 + MANAGED_INSTANCES_FEE) * HOURS_A_MONTH
    return fleet / (monthly / 1e6) + _shared(wru)


def break_even(gateway_s: float, cpu_s: float, wru: float) -> int:
    """The monthly volume above which Managed Instances cost less per request (the fleet at its minimum)."""
    classic_compute = (gateway_s + UPSTREAM_SECONDS) * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND
    fleet = MIN_INSTANCES * EC2_HOURLY * (1 + MANAGED_INSTANCES_FEE) * HOURS_A_MONTH
    return math.ceil(fleet / classic_compute)


def cost_model(results: dict[str, Any]) -> dict[str, Any]:
    gateway_s, cpu_s, wru = _inputs(results)
    rows = [
        {
            "requests_a_month": volume,
            "classic_lambda": round(classic_per_million(gateway_s, wru), 2),
            "managed_instances": round(managed_per_million(volume, cpu_s, wru), 2),
            "instances": instances(volume, cpu_s),
        }
        for volume in VOLUMES
    ]
    return {
        "assumptions": {
            "gateway_seconds": round(gateway_s, 5),
            "cpu_seconds": round(cpu_s, 5),
            "write_units": wru,
            "upstream_seconds": UPSTREAM_SECONDS,
            "lambda_arm_gb_second": LAMBDA_ARM_GB_SECOND,
            "memory_gb": INFERENCE_MEMORY_GB,
            "lambda_per_million": LAMBDA_PER_MILLION,
            "ec2": f"{EC2_INSTANCE} ${EC2_HOURLY}/h + {MANAGED_INSTANCES_FEE:.0%}, at least {MIN_INSTANCES}",
            "apigw_rest_per_million": APIGW_REST_PER_MILLION,
            "dynamodb_wru_per_million": DYNAMODB_WRU_PER_MILLION,
        },
        "shared_per_million": round(_shared(wru), 2),
        "rows": rows,
        "break_even_requests_a_month": break_even(gateway_s, cpu_s, wru),
    }


def cost_per_million(results: dict[str, Any]) -> dict[str, Any]:
    """Classic Lambda's cost per million reference requests, split into its parts."""
    gateway_s, _, wru = _inputs(results)
    lambda_compute = (gateway_s + UPSTREAM_SECONDS) * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND * 1e6
    dynamodb = wru * DYNAMODB_WRU_PER_MILLION
    return {
        "assumptions": {
            "lambda_arm_gb_second": LAMBDA_ARM_GB_SECOND,
            "lambda_per_million": LAMBDA_PER_MILLION,
            "apigw_rest_per_million": APIGW_REST_PER_MILLION,
            "dynamodb_wru_per_million": DYNAMODB_WRU_PER_MILLION,
            "wru_per_request": wru,
            "memory_gb": INFERENCE_MEMORY_GB,
            "upstream_seconds": UPSTREAM_SECONDS,
            "gateway_seconds_measured": round(gateway_s, 5),
        },
        "lambda_compute": round(lambda_compute, 2),
        "lambda_requests": LAMBDA_PER_MILLION,
        "api_gateway": APIGW_REST_PER_MILLION,
        "dynamodb": round(dynamodb, 2),
        "total_per_million_usd": round(classic_per_million(gateway_s, wru), 2),
        "model": cost_model(results),
    }


def render(model: dict[str, Any]) -> str:
    lines = [
        "| requests a month | classic Lambda | Managed Instances | instances |",
        "|---|---|---|---|",
    ]
    for row in model["rows"]:
        lines.append(
            f"| {row['requests_a_month']:,} | ${row['classic_lambda']} | ${row['managed_instances']} "
            f"| {row['instances']} |"
        )
    lines.append(f"\nbreak-even: {model['break_even_requests_a_month']:,} requests a month")
    return "\n".join(lines)


if __name__ == "__main__":
    latest = json.loads((Path(__file__).parent / "results" / "latest.json").read_text())
    print(render(cost_model(latest)))
