"""`empirio admin --stage dev …`: find the deployed API's URL in CloudFormation and sign requests with SigV4
(the admin API sits behind IAM authorization in AWS)."""

from __future__ import annotations

from typing import Any


def stage_url(stage: str, region: str | None = None) -> str:
    """The ``ApiUrl`` output of the stage's stack, without the trailing stage path's slash."""
    import boto3

    stack = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=f"Empirio-{stage}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}
    return str(outputs["ApiUrl"]).rstrip("/")


def sigv4_headers(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    region: str | None = None,
    credentials: Any = None,
) -> dict[str, str]:
    """``headers`` plus the SigV4 signature for API Gateway (service ``execute-api``)."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    session = boto3.Session(region_name=region)
    credentials = credentials or session.get_credentials()
    request = AWSRequest(method=method, url=url, data=body or b"", headers=dict(headers))
    SigV4Auth(credentials, "execute-api", region or session.region_name or "us-east-1").add_auth(request)
    return dict(request.headers.items())
