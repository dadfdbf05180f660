"""DynamoDB on this machine: moto in-process, serialized, with the tables created from the shared specs.

moto is not atomic under concurrency (16 threads doing a conditional decrement drove a balance below zero), so
every call through moto's stubber takes one lock. Our conditions are then what decides, as in DynamoDB.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from empirio.settings import Settings
from empirio.store.tables import TABLES, USAGE
from empirio_cli import motospeed

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_lock = threading.RLock()
_patched = False


def serialize_moto() -> None:
    """Wrap moto's botocore stubber in one process-wide lock (idempotent)."""
    global _patched
    from moto.core.botocore_stubber import BotocoreStubber

    if _patched:
        return
    original = BotocoreStubber.__call__

    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(self, *args, **kwargs)

    BotocoreStubber.__call__ = locked  # type: ignore[method-assign]
    _patched = True


def serialized() -> threading.RLock:
    """The lock every moto call takes: hold it to see moto's state unchanging."""
    return _lock


def start_mock_aws() -> Any:
    """Start moto's mock for this process (fake credentials, serialized) and return it; call ``.stop()`` to end."""
    from moto import mock_aws

    for key, value in _FAKE_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    serialize_moto()
    mock = mock_aws()
    mock.start()
    return mock


def create_tables(client: Any, settings: Settings) -> None:
    """Create every table from its spec (skipping ones that exist), and the bucket generated videos are kept in."""
    # Usage records are written once and never changed: their index queries can skip moto's full sort.
    for index in USAGE.indexes:
        motospeed.accelerate(settings.table_name(USAGE.logical), index.name)
    existing = set(client.list_tables().get("TableNames", []))
    for spec in TABLES:
        name = settings.table_name(spec.logical)
        if name not in existing:
            client.create_table(**spec.create_table_kwargs(name))
    import boto3

    s3 = boto3.client("s3", region_name=settings.region)
    if settings.videos_bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        where = {} if settings.region == "us-east-1" else {"LocationConstraint": settings.region}
        s3.create_bucket(
            Bucket=settings.videos_bucket, **({"CreateBucketConfiguration": where} if where else {})
        )


def create_user_pool(region: str) -> tuple[str, str]:
    """A Cognito user pool and app client shaped like the deployed ones (email as the username, password
    sign-in), in moto, behind the stand-in that checks codes as Cognito does; returns (pool id, client id)."""
    import boto3

    from empirio_cli.local_cognito import install

    idp = boto3.client("cognito-idp", region_name=region)
    pool = idp.create_user_pool(
        PoolName="empirio-local",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
    )["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="console",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]
    install(str(pool["Id"]))
    return str(pool["Id"]), str(client["ClientId"])
