"""USD per million requests on AWS, from the measured durations and list prices (the inputs are written out)."""

from __future__ import annotations

from typing import Any

# us-east-1 list prices (USD), as published on the AWS pricing pages in 2025.
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_PER_MILLION = 0.20
APIGW_REST_PER_MILLION = 3.50
DYNAMODB_WRU_PER_MILLION = 0.625
DYNAMODB_RRU_PER_MILLION = 0.125
# Transactions cost 2 write units per item (items here are < 1 KB): admission 2 items, settle 4 items.
WRU_PER_REQUEST = 2 * 2 + 4 * 2
INFERENCE_MEMORY_GB = 1.0
UPSTREAM_SECONDS = 1.0  # a typical model answer; Lambda bills the wait while it streams it through
# moto is not DynamoDB: its time is replaced by an assumed in-region latency per transaction (AWS documents
# single-digit milliseconds; transactions are slower than single writes).
DYNAMODB_TRANSACTION_SECONDS = 0.008


def cost_per_million(results: dict[str, Any]) -> dict[str, Any]:
    c1 = results["buffered"]["1"]
    gateway_s = c1["added_ex_dynamodb_ms"]["p50"] / 1000 + 2 * DYNAMODB_TRANSACTION_SECONDS
    lambda_compute = (gateway_s + UPSTREAM_SECONDS) * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND * 1e6
    gateway_only = gateway_s * INFERENCE_MEMORY_GB * LAMBDA_ARM_GB_SECOND * 1e6
    dynamodb = WRU_PER_REQUEST * DYNAMODB_WRU_PER_MILLION
    total = lambda_compute + LAMBDA_PER_MILLION + APIGW_REST_PER_MILLION + dynamodb
    return {
        "assumptions": {
            "lambda_arm_gb_second": LAMBDA_ARM_GB_SECOND,
            "lambda_per_million": LAMBDA_PER_MILLION,
            "apigw_rest_per_million": APIGW_REST_PER_MILLION,
            "dynamodb_wru_per_million": DYNAMODB_WRU_PER_MILLION,
            "wru_per_request": WRU_PER_REQUEST,
            "memory_gb": INFERENCE_MEMORY_GB,
            "upstream_seconds": UPSTREAM_SECONDS,
            "gateway_seconds_measured": round(gateway_s, 5),
        },
        "lambda_compute": round(lambda_compute, 2),
        "lambda_compute_gateway_only": round(gateway_only, 4),
        "lambda_requests": LAMBDA_PER_MILLION,
        "api_gateway": APIGW_REST_PER_MILLION,
        "dynamodb": round(dynamodb, 2),
        "total_per_million_usd": round(total, 2),
    }
