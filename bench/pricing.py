"""USD per million reference requests on AWS (a 1 s model answer), for classic Lambda and for Lambda Managed
Instances at three monthly volumes: every line item the stack is billed for, from the measured gateway time, CPU
and write units and the list prices below (us-east-1, on-demand; every input is printed with the result).
`python -m bench.pricing` prints the tables from the last `make bench`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from empirio.store.tables import MIN_UNITS, PER_REQUEST_TABLES, TABLES, TARGET_UTILIZATION

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
DYNAMODB_WCU_HOUR, DYNAMODB_RCU_HOUR = 0.00065, 0.00013  # provisioned capacity units an hour
LOGS_PER_GB = 0.50  # CloudWatch Logs ingestion, first tier (Lambda's and API Gateway's logs)
XRAY_PER_MILLION_TRACES = 5.00  # traces recorded (the free 100,000 a month left out)
METRIC_MONTH = 0.30  # a custom metric a month (EMF), first 10,000
DATA_OUT_PER_GB = 0.09  # data transfer out to the internet (the provider request, the client's answer)
NAT_HOURLY = 0.045  # NAT gateway hour, and
NAT_PER_GB = 0.045  # per GB it processes (Managed Instances reach internet providers through it)
PUBLIC_IPV4_HOURLY = 0.005  # the NAT gateway's public address
INTERFACE_ENDPOINT_HOURLY = 0.01  # a VPC interface endpoint (Bedrock runtime) per zone
HOURS_A_MONTH = 730
# Assumptions about the workload.
DEFAULT_WRU_PER_REQUEST = 14  # as `make bench` counts them (it reports its measurement)
INFERENCE_MEMORY_GB = 1.0
UPSTREAM_SECONDS = 1.0  # the reference request: a model that answers in one second
PEAK_TO_AVERAGE = 3.0  # instances are sized for three times the month's average rate
TARGET_CPU = 0.5  # and kept at half their CPU
ZONES = 3
REQUEST_BYTES = 4_000  # sent to the provider (prompt and envelope)
ANSWER_BYTES = 4_000  # from the provider, and about as much to the client
# Logged per request: our EMF line (633 bytes for the reference request, `emf_line` in empirio.observability),
# Lambda's JSON platform lines (start, report) and API Gateway's JSON access line.
LOG_BYTES = 633 + 600 + 350
TRACE_RESERVOIR_PER_SECOND, TRACE_RATE = 1.0, 0.05  # X-Ray's default sampling rule (tracing is on)
ACTIVE_MODELS = 20  # (model, provider) pairs in use: each has 7 request metrics
METRICS_PER_MODEL = 7
# moto is not DynamoDB: its time is replaced by an assumed in-region latency per transaction (AWS documents
# single-digit milliseconds; transactions are slower than single writes).
DYNAMODB_TRANSACTION_SECONDS = 0.008
VOLUMES = (1_000_000, 30_000_000, 300_000_000)  # requests a month
# (compute, table capacity) as `make deploy COMPUTE=… CAPACITY=…` sets them, and the column's title, by its key.
MODES = {
    "classic_lambda": ("lambda", "on-demand", "classic Lambda"),
    "managed_instances": ("managed-instances", "on-demand", "Managed Instances"),
    "managed_instances_provisioned": (
        "managed-instances",
        "provisioned",
        "Managed Instances, provisioned tables",
    ),
}


def _inputs(results: dict[str, Any]) -> tuple[float, float, float]:
    """(gateway seconds a request, CPU seconds a request, write units a request) from a bench result."""
    c1 = results["buffered"]["1"]
    gateway_s = c1["added_ex_dynamodb_ms"]["p50"] / 1000 + 2 * DYNAMODB_TRANSACTION_SECONDS
    cpu_s = float(c1.get("own_cpu_ms_per_request", 6.0)) / 1000
    wru = float(c1.get("write_units_per_request") or DEFAULT_WRU_PER_REQUEST)
    return gateway_s, cpu_s, wru


def instances(monthly: int, cpu_s: float) -> int:
    """Instances for a month's volume: its peak rate's CPU at the target utilisation, never under the minimum."""
    peak_rps = monthly / (HOURS_A_MONTH * 3600) * PEAK_TO_AVERAGE
    vcpus = peak_rps * cpu_s / TARGET_CPU
    return max(MIN_INSTANCES, math.ceil(vcpus / EC2_VCPUS))


def _fleet_monthly(count: int) -> float:
    return count * EC2_HOURLY * (1 + MANAGED_INSTANCES_FEE) * HOURS_A_MONTH


def _network_monthly() -> float:
    """What the Managed Instances VPC costs a month before any traffic: one NAT gateway and its address, the
    Bedrock runtime interface endpoint in each zone (the DynamoDB and S3 gateway endpoints are free)."""
    return (NAT_HOURLY + PUBLIC_IPV4_HOURLY + ZONES * INTERFACE_ENDPOINT_HOURLY) * HOURS_A_MONTH


def _classic_compute(gateway_s: float) -> float:
    """Per request: the function's memory for the whole request, the model's answer included."""
    return (gateway_s + UPSTREAM_SECONDS) * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND


def _traced(monthly: int) -> float:
    seconds = HOURS_A_MONTH * 3600
    reservoir = min(monthly, TRACE_RESERVOIR_PER_SECOND * seconds)
    return reservoir + TRACE_RATE * (monthly - reservoir)


def _provisioned_writes(monthly: int, wru: float) -> float:
    """Per million: write capacity-hours for the month's average write rate at the target utilisation, never
    under the floor of MIN_UNITS read and write units on each per-request table and index."""
    needed = wru * DYNAMODB_WCU_HOUR / 3600 / (TARGET_UTILIZATION / 100) * 1e6
    tables = [spec for spec in TABLES if spec.logical in PER_REQUEST_TABLES]
    floor_monthly = (
        sum(1 + len(spec.indexes) for spec in tables)
        * MIN_UNITS
        * (DYNAMODB_WCU_HOUR + DYNAMODB_RCU_HOUR)
        * HOURS_A_MONTH
    )
    return max(needed, floor_monthly / (monthly / 1e6))


def line_items(mode: str, monthly: int, gateway_s: float, cpu_s: float, wru: float) -> dict[str, float]:
    """USD per million requests, by what AWS bills, for one column of MODES at one monthly volume."""
    compute, capacity, _ = MODES[mode]
    millions = monthly / 1e6
    per_gb = 1e6 / 1e9  # a byte a request is this many GB per million requests
    items = {
        "api_gateway": APIGW_REST_PER_MILLION,
        "lambda_requests": LAMBDA_PER_MILLION,
        "dynamodb_writes": (
            wru * DYNAMODB_WRU_PER_MILLION if capacity == "on-demand" else _provisioned_writes(monthly, wru)
        ),
        "logs": LOG_BYTES * per_gb * LOGS_PER_GB,
        "traces": _traced(monthly) * XRAY_PER_MILLION_TRACES / 1e6 / millions,
        "metrics": ACTIVE_MODELS * METRICS_PER_MODEL * METRIC_MONTH / millions,
        "data_out": (REQUEST_BYTES + ANSWER_BYTES) * per_gb * DATA_OUT_PER_GB,
    }
    if compute == "lambda":
        items["compute"] = _classic_compute(gateway_s) * 1e6
    else:
        items["compute"] = _fleet_monthly(instances(monthly, cpu_s)) / millions
        items["vpc"] = _network_monthly() / millions + (REQUEST_BYTES + ANSWER_BYTES) * per_gb * NAT_PER_GB
    return items


def per_million(mode: str, monthly: int, gateway_s: float, cpu_s: float, wru: float) -> float:
    return sum(line_items(mode, monthly, gateway_s, cpu_s, wru).values())


def break_even(gateway_s: float, cpu_s: float, wru: float) -> int:
    """The monthly volume above which Managed Instances cost less per request (the fleet at its minimum): where
    the fleet and its VPC cost as much as classic Lambda's compute less the NAT's per-request charge."""
    saved_per_request = _classic_compute(gateway_s) - (REQUEST_BYTES + ANSWER_BYTES) / 1e9 * NAT_PER_GB
    return math.ceil((_fleet_monthly(MIN_INSTANCES) + _network_monthly()) / saved_per_request)


def cost_model(results: dict[str, Any]) -> dict[str, Any]:
    gateway_s, cpu_s, wru = _inputs(results)
    rows = [
        {
            "requests_a_month": volume,
            **{mode: round(per_million(mode, volume, gateway_s, cpu_s, wru), 2) for mode in MODES},
            "instances": instances(volume, cpu_s),
        }
        for volume in VOLUMES
    ]
    breakdown = {
        mode: {k: round(v, 2) for k, v in line_items(mode, VOLUMES[1], gateway_s, cpu_s, wru).items()}
        for mode in MODES
    }
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
            "log_bytes_per_request": LOG_BYTES,
            "logs_per_gb": LOGS_PER_GB,
            "xray": f"${XRAY_PER_MILLION_TRACES}/M traces, {TRACE_RESERVOIR_PER_SECOND}/s + {TRACE_RATE:.0%}",
            "metrics": f"{ACTIVE_MODELS} models x {METRICS_PER_MODEL} at ${METRIC_MONTH}/month",
            "bytes_out_per_request": REQUEST_BYTES + ANSWER_BYTES,
            "vpc_monthly": round(_network_monthly(), 2),
        },
        "rows": rows,
        "breakdown_at_30m": breakdown,
        "break_even_requests_a_month": break_even(gateway_s, cpu_s, wru),
    }


def cost_per_million(results: dict[str, Any]) -> dict[str, Any]:
    """The bench's summary: classic Lambda's cost per million reference requests at 30M a month, in parts, and
    the whole model."""
    gateway_s, cpu_s, wru = _inputs(results)
    items = line_items("classic_lambda", VOLUMES[1], gateway_s, cpu_s, wru)
    return {
        "assumptions": {
            "wru_per_request": wru,
            "upstream_seconds": UPSTREAM_SECONDS,
            "gateway_seconds_measured": round(gateway_s, 5),
        },
        **{k: round(v, 2) for k, v in items.items()},
        "total_per_million_usd": round(sum(items.values()), 2),
        "model": cost_model(results),
    }


def render(model: dict[str, Any]) -> str:
    names = list(MODES)
    lines = [
        "| requests a month | " + " | ".join(MODES[n][2] for n in names) + " | instances |",
        "|---|" + "---|" * len(names) + "---|",
    ]
    for row in model["rows"]:
        cells = " | ".join(f"${row[n]:.2f}" for n in names)
        lines.append(f"| {row['requests_a_month']:,} | {cells} | {row['instances']} |")
    lines.append(f"\nbreak-even: {model['break_even_requests_a_month']:,} requests a month\n")
    breakdown = model["breakdown_at_30m"]
    lines += [
        "| at 30M a month, per million | " + " | ".join(MODES[n][2] for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for item in dict.fromkeys(k for n in names for k in breakdown[n]):
        cells = " | ".join("" if (v := breakdown[n].get(item)) is None else f"${v:.2f}" for n in names)
        lines.append(f"| {item} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    latest = json.loads((Path(__file__).parent / "results" / "latest.json").read_text())
    print(render(cost_model(latest)))
