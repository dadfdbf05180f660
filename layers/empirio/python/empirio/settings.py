"""Runtime settings read from the environment, on first use and never at import time."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

_REPO_CATALOG = Path(__file__).resolve().parents[4] / "catalog" / "models.json"
_LAYER_CATALOG = Path("/opt/catalog/models.json")


def _default_catalog() -> str:
    return str(_REPO_CATALOG if _REPO_CATALOG.exists() else _LAYER_CATALOG)


class Settings(BaseModel):
    """Everything configurable, with local defaults. CDK sets the table names; dev and tests use the defaults."""

    table_prefix: str = "empirio-"
    table_names: dict[str, str] = Field(default_factory=dict)
    region: str = "us-east-1"
    catalog_path: str = Field(default_factory=_default_catalog)
    admin_token: str | None = None
    # "token": Authorization: Bearer EMPIRIO_ADMIN_TOKEN (local). "iam": API Gateway already verified SigV4.
    admin_auth: Literal["token", "iam"] = "token"
    key_cache_seconds: float = Field(default=30.0, ge=0, le=30)
    # People (console): the Cognito user pool and its app client; CDK sets both, `make dev` creates them in moto.
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    # Console sessions: idle and absolute lifetimes (seconds).
    session_idle_seconds: int = Field(default=8 * 3600, ge=60)
    session_max_seconds: int = Field(default=7 * 86400, ge=60)
    # "log": print each message a person would be sent as one `outbox:` line (local); "cognito": Cognito sends.
    outbox: Literal["log", "cognito"] = "cognito"
    # Billing. Stripe's keys come from STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET or (in AWS) from the secret
    # EMPIRIO_STRIPE_SECRET_ARN names; stripe_api_base points the SDK at the fake Stripe server locally.
    stripe_api_base: str | None = None
    stripe_secret_arn: str | None = None
    billing_min_cents: int = Field(default=500, ge=50)
    billing_max_cents: int = Field(default=1_000_000, ge=50)
    billing_fee_bps: int = Field(default=0, ge=0, le=5_000)
    billing_fee_fixed_cents: int = Field(default=0, ge=0)
    # Emails to customers (low balance, auto top-up switched off): "log" prints an `outbox:` line; "ses" sends
    # from this address (an SES identity of the stage).
    email_sender: str | None = None
    # Generated videos (S3): CDK names the stage's bucket; `make dev` and tests create this one in moto.
    videos_bucket: str = "empirio-videos-local"

    def table_name(self, logical: str) -> str:
        return self.table_names.get(logical) or f"{self.table_prefix}{logical}"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        names = {
            key.removeprefix("EMPIRIO_TABLE_").lower(): value
            for key, value in env.items()
            if key.startswith("EMPIRIO_TABLE_") and key != "EMPIRIO_TABLE_PREFIX"
        }
        values: dict[str, object] = {"table_names": names}
        for field, var in ENV_VARIABLES.items():
            if env.get(var):
                values[field] = env[var]
        values["region"] = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
        return cls.model_validate(values)


# Each setting's environment variable (the table names come from EMPIRIO_TABLE_<LOGICAL NAME>).
ENV_VARIABLES = {
    "table_prefix": "EMPIRIO_TABLE_PREFIX",
    "catalog_path": "EMPIRIO_CATALOG",
    "admin_token": "EMPIRIO_ADMIN_TOKEN",
    "admin_auth": "EMPIRIO_ADMIN_AUTH",
    "key_cache_seconds": "EMPIRIO_KEY_CACHE_SECONDS",
    "user_pool_id": "EMPIRIO_USER_POOL_ID",
    "user_pool_client_id": "EMPIRIO_USER_POOL_CLIENT_ID",
    "session_idle_seconds": "EMPIRIO_SESSION_IDLE_SECONDS",
    "session_max_seconds": "EMPIRIO_SESSION_MAX_SECONDS",
    "outbox": "EMPIRIO_OUTBOX",
    "stripe_api_base": "EMPIRIO_STRIPE_API_BASE",
    "stripe_secret_arn": "EMPIRIO_STRIPE_SECRET_ARN",
    "billing_min_cents": "EMPIRIO_BILLING_MIN_CENTS",
    "billing_max_cents": "EMPIRIO_BILLING_MAX_CENTS",
    "billing_fee_bps": "EMPIRIO_BILLING_FEE_BPS",
    "billing_fee_fixed_cents": "EMPIRIO_BILLING_FEE_FIXED_CENTS",
    "email_sender": "EMPIRIO_EMAIL_SENDER",
    "videos_bucket": "EMPIRIO_VIDEOS_BUCKET",
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
