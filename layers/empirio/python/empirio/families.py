"""THE route table: every family, its HTTP routes and its entry point. CDK builds API Gateway from it, the dev
server composes the family apps from it, and tests check that both agree with the apps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # FastAPI syntax; "{name:path}" is a greedy segment ("{name+}" in API Gateway)

    @property
    def apigw_path(self) -> str:
        return re.sub(r"\{(\w+):path\}", r"{\1+}", self.path)


@dataclass(frozen=True)
class Family:
    name: str
    routes: tuple[Route, ...]
    entry: Literal["mangum", "web-adapter"] = "mangum"  # web-adapter: responses stream (uvicorn under LWA)
    iam_auth: bool = False  # API Gateway authorizes with SigV4 (the admin API)
    calls_models: bool = False  # reads the upstream provider keys
    requires: tuple[str, ...] = ()  # settings it cannot run without (checked at a Lambda's init)

    @property
    def module(self) -> str:
        """The module holding the family's FastAPI ``app`` and ``router``."""
        return f"functions.{self.name}.app"

    @property
    def handler(self) -> str:
        return f"functions.{self.name}.handler.handler"


def _routes(*pairs: str) -> tuple[Route, ...]:
    return tuple(Route(*pair.split(" ", 1)) for pair in pairs)


FAMILIES: tuple[Family, ...] = (
    Family(
        "inference",
        _routes(
            "POST /v1/chat/completions",
            "POST /v1/responses",
            "POST /v1/messages",
            "POST /v1/messages/count_tokens",
            "POST /v1/embeddings",
            "POST /v1/images/generations",
            "POST /v1/images/edits",
            "POST /v1/audio/speech",
            "POST /v1/audio/transcriptions",
            "POST /v1/videos",
            "GET /v1/videos",
            "GET /v1/videos/{video_id}",
            "GET /v1/videos/{video_id}/content",
            "DELETE /v1/videos/{video_id}",
            "POST /v1/estimate",
            "HEAD /",
        ),
        entry="web-adapter",
        calls_models=True,
    ),
    Family("models", _routes("GET /v1/models", "GET /v1/models/{model_id:path}")),
    Family(
        "keys",
        _routes("GET /v1/keys", "POST /v1/keys", "POST /v1/keys/{key_id}/rotate", "DELETE /v1/keys/{key_id}"),
    ),
    Family("credits", _routes("GET /v1/credits")),
    Family("limits", _routes("GET /v1/limits")),
    Family(
        "usage",
        _routes(
            "GET /v1/usage",
            "GET /v1/generations",
            "GET /v1/generations/export",
            "GET /v1/generations/{generation_id}",
        ),
        entry="web-adapter",  # the CSV export streams any number of rows
    ),
    Family("account", _routes("GET /v1/account", "PATCH /v1/account")),
    Family(
        "billing",
        _routes(
            "POST /v1/billing/checkout",
            "GET /v1/billing/quote",
            "GET /v1/billing/purchases",
            "GET /v1/billing/purchases/{purchase_id}",
            "POST /v1/billing/purchases/{purchase_id}/fulfil",
            "GET /v1/billing/ledger",
            "GET /v1/billing/ledger/export",
            "GET /v1/billing/settings",
            "PATCH /v1/billing/settings",
            "POST /v1/billing/auto-topup/setup",
            "POST /v1/billing/webhook",
        ),
    ),
    Family(
        "chats",
        _routes(
            "GET /v1/chats",
            "POST /v1/chats",
            "GET /v1/chats/{chat_id}",
            "PATCH /v1/chats/{chat_id}",
            "DELETE /v1/chats/{chat_id}",
        ),
    ),
    Family(
        "console",
        _routes(
            "GET /console",
            "GET /console/signup",
            "POST /console/signup",
            "GET /console/verify",
            "POST /console/verify",
            "POST /console/verify/resend",
            "GET /console/signin",
            "POST /console/signin",
            "POST /console/signout",
            "GET /console/reset",
            "POST /console/reset",
            "GET /console/reset/confirm",
            "POST /console/reset/confirm",
            "GET /console/logs",
            "GET /console/logs/{generation_id}",
            "GET /console/keys",
            "POST /console/keys",
            "POST /console/keys/{key_id}/revoke",
            "POST /console/keys/{key_id}/rotate",
            "GET /console/billing",
            "GET /console/alert-email/confirm",
            "POST /console/alert-email/confirm",
            "GET /console/playground",
            "GET /console/models",
            "GET /console/models/{model_id:path}",
            "GET /console/settings",
            "POST /console/settings",
            "GET /console/static/{asset:path}",
        ),
        requires=("user_pool_id", "user_pool_client_id"),
    ),
    Family(
        "admin",
        _routes(
            "GET /admin/accounts",
            "POST /admin/accounts",
            "GET /admin/accounts/{account_id}",
            "POST /admin/accounts/{account_id}/credits",
            "GET /admin/accounts/{account_id}/keys",
            "POST /admin/accounts/{account_id}/keys",
            "DELETE /admin/accounts/{account_id}/keys/{key_id}",
            "PATCH /admin/accounts/{account_id}/limits",
            "POST /admin/sweep",
            "POST /admin/rollup",
            "POST /admin/reconcile",
        ),
        iam_auth=True,
    ),
)


@dataclass(frozen=True)
class Job:
    """A function with no HTTP route, run on an EventBridge schedule (locally: an `empirio` command)."""

    name: str
    schedule: str  # EventBridge rate or cron expression

    @property
    def handler(self) -> str:
        return f"functions.{self.name}.handler.handler"


JOBS: tuple[Job, ...] = (
    Job("sweeper", "rate(5 minutes)"),
    Job("rollup", "rate(15 minutes)"),
    Job("reconcile", "rate(1 hour)"),
    Job("balance_watch", "rate(1 minute)"),  # also on the accounts table's stream in AWS (see infra)
)


def family(name: str) -> Family:
    return next(f for f in FAMILIES if f.name == name)
