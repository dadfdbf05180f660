"""The admin CLI: requests it builds, and SigV4 signing for a deployed stage (no AWS call made)."""

import argparse

from botocore.credentials import Credentials

from empirio_cli.admin import request
from empirio_cli.aws_target import sigv4_headers


def test_top_up_carries_the_idempotency_key() -> None:
    args = argparse.Namespace(
        admin_command="add-credits", account_id="acct_1", amount="5.00", idempotency_key="k1"
    )
    assert request(args) == (
        "POST",
        "/admin/accounts/acct_1/credits",
        {"amount": "5.00"},
        {"Idempotency-Key": "k1"},
    )


def test_stage_requests_are_signed_for_execute_api() -> None:
    headers = sigv4_headers(
        "POST",
        "https://abc.execute-api.us-east-1.amazonaws.com/dev/admin/accounts",
        b'{"name": "x"}',
        {"Content-Type": "application/json"},
        region="us-east-1",
        credentials=Credentials("AKIDEXAMPLE", "secret"),
    )
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/execute-api/aws4_request" in headers["Authorization"] and "X-Amz-Date" in headers
