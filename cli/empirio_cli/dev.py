"""`empirio dev`: every family from the route table in one process, on moto, with a demo account and key."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import secrets
import sys
import threading
from typing import Any

import boto3
from fastapi import FastAPI

from empirio import startup
from empirio.context import Context, get_context, reset_context
from empirio.families import FAMILIES
from empirio.services.metering import sweep
from empirio.services.rollup import run_rollup
from empirio.settings import Settings
from empirio.web.app import create_app
from empirio_cli.localaws import create_tables, create_user_pool, start_mock_aws

DEMO_CREDITS = 10_000_000  # $10.00
DEMO_EMAIL = "demo@example.com"
logger = logging.getLogger("empirio.dev")


def compose_app() -> FastAPI:
    """One app serving every family's router, as API Gateway would route to each family's function."""
    modules = [importlib.import_module(f.module) for f in FAMILIES]
    shutdown = [hook for m in modules for hook in getattr(m, "SHUTDOWN", [])]
    pages = {prefix: r for m in modules for prefix, r in getattr(m, "ERROR_PAGES", {}).items()}
    return create_app(
        *(m.router for m in modules), title="EmpirioLabs API (local)", on_shutdown=shutdown, error_pages=pages
    )


def prepare(admin_token: str | None = None) -> tuple[Context, dict[str, Any], Any]:
    """Start moto (with a Cognito user pool), create tables, a demo account and key; returns the context, what to
    print, and the moto mock (``.stop()`` ends it)."""
    token = admin_token or os.environ.get("EMPIRIO_ADMIN_TOKEN") or "adm-" + secrets.token_urlsafe(24)
    os.environ["EMPIRIO_ADMIN_TOKEN"] = token
    mock = start_mock_aws()
    pool_id, client_id = create_user_pool(Settings.from_env().region)
    os.environ.update(
        EMPIRIO_USER_POOL_ID=pool_id, EMPIRIO_USER_POOL_CLIENT_ID=client_id, EMPIRIO_OUTBOX="log"
    )
    reset_context(Context(Settings.from_env()))
    context = get_context()
    create_tables(context.client, context.settings)
    account = context.accounts.create("demo", DEMO_CREDITS)
    from empirio.domain.keys import Scope

    _, key = context.keys.create(account.account_id, "demo", (Scope.INFERENCE, Scope.MANAGE))
    # A person for the console who sees the demo account (sign-up, verification and the link, as a user would).
    password = "Demo-" + secrets.token_urlsafe(9) + "1!"
    user_id = context.identity.sign_up(DEMO_EMAIL, password)
    assert user_id is not None
    # Confirmed as an operator would (its code went to an outbox nobody reads yet).
    boto3.client("cognito-idp", region_name=context.settings.region).admin_confirm_sign_up(
        UserPoolId=pool_id, Username=DEMO_EMAIL
    )
    context.users.link(user_id, account.account_id, DEMO_EMAIL)
    demo = {
        "account_id": account.account_id,
        "api_key": key,
        "admin_token": token,
        "email": DEMO_EMAIL,
        "password": password,
    }
    return context, demo, mock


def start_jobs(context: Context, every_seconds: float = 60.0, watch_seconds: float = 3.0) -> threading.Event:
    """The scheduled jobs (sweeper, rollup; the balance watch more often, as the accounts table's stream would
    trigger it in AWS), locally: daemon threads; set the returned event to stop them."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(watch_seconds):
            try:
                context.balance_watch.watch_all()
                asyncio.run(context.video_jobs.poll_open())  # the sweeper's first step, more often locally
            except Exception:
                logger.exception("balance watch or video poll failed")

    threading.Thread(target=watch, name="balance-watch", daemon=True).start()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                sweep(context.ledger)
                run_rollup(context.usage)
            except Exception:  # keep going; the next run retries whatever failed
                logger.exception("scheduled job failed")

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop


def start_fake_stripe(webhook_url: str) -> str:
    """Without STRIPE_SECRET_KEY, the fake Stripe (a Checkout stand-in page, signed webhooks to this server);
    with it, the same code talks to that Stripe account (test mode) and its webhooks must reach this server."""
    if os.environ.get("STRIPE_SECRET_KEY"):
        return "Stripe (STRIPE_SECRET_KEY); forward its webhooks to /v1/billing/webhook"
    from empirio_cli.fake_stripe import FakeStripe, RunningFakeStripe

    fake = FakeStripe(webhook_url=webhook_url)
    running = RunningFakeStripe(fake)
    os.environ.update(
        STRIPE_SECRET_KEY=fake.secret_key,
        STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
        EMPIRIO_STRIPE_API_BASE=running.url,
    )
    return f"fake Stripe at {running.url} (Billing → Add credits → Pay; no Stripe account needed)"


def show_outbox() -> None:
    """Print each message a person would be emailed (Cognito sends them in AWS) as one `outbox:` line."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    outbox = logging.getLogger("empirio.outbox")
    outbox.addHandler(handler)
    outbox.setLevel(logging.INFO)
    outbox.propagate = False


def run(host: str, port: int) -> int:
    import uvicorn

    try:
        startup.check()
    except startup.ConfigError as error:
        print(f"empirio dev: refusing to start: {error}", file=sys.stderr)
        return 2
    stripe = start_fake_stripe(f"http://{host}:{port}/v1/billing/webhook")
    context, demo, _ = prepare()
    start_jobs(context)
    show_outbox()
    base = f"http://{host}:{port}/v1"
    print(
        "EmpirioLabs gateway (local)\n"
        f"  console:      http://{host}:{port}/console  (sign in as {demo['email']} / {demo['password']}, or sign "
        "up: codes appear below as `outbox:` lines)\n"
        f"  base URL:     {base}\n"
        f"  demo account: {demo['account_id']} ($10.00)\n"
        f"  API key:      {demo['api_key']}\n"
        f"  admin token:  {demo['admin_token']}\n"
        f"  payments:     {stripe}\n"
        f"  try:          OPENAI_BASE_URL={base} OPENAI_API_KEY={demo['api_key']} python -c "
        '"import openai; print([m.id for m in openai.OpenAI().models.list()][:5])"',
        flush=True,
    )
    app = compose_app()
    if os.environ.get("EMPIRIO_DEV_MEMORY"):
        trace_memory(app)
    if os.environ.get("EMPIRIO_DEV_METRICS"):  # the metric JSON and uvicorn's access log, as before
        uvicorn.run(app, host=host, port=port, log_level="info")
        return 0
    from empirio_cli.devlog import RequestLines

    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    uvicorn.run(RequestLines(app), host=host, port=port, log_level="info", access_log=False)
    return 0


def trace_memory(app: FastAPI) -> None:
    """For the soak (EMPIRIO_DEV_MEMORY=1): GET /__dev/memory walks the live heap and splits it into what moto
    holds (the local DynamoDB and Cognito, whose data on AWS lives outside the function) and the rest (the
    gateway's own). Slow (seconds), and it pauses the server: only for measuring."""

    def memory() -> dict[str, int]:
        from empirio_cli.localaws import serialized

        with serialized():  # moto is not changing while it is measured
            return heap_split()

    app.add_api_route("/__dev/memory", memory, methods=["GET"], include_in_schema=False)


def heap_split() -> dict[str, int]:
    """Bytes of every object reachable from moto's backends, and of every other live object (also by type)."""
    import gc

    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core.model_instances import model_data
    from moto.dynamodb.models import dynamodb_backends

    from empirio_cli import motospeed

    def reach(roots: list[Any], seen: set[int], by_type: dict[str, int] | None = None) -> int:
        size, stack = 0, list(roots)
        while stack:
            obj = stack.pop()
            if id(obj) in seen or isinstance(obj, type) or type(obj).__name__ == "module":
                continue
            seen.add(id(obj))
            bytes_ = sys.getsizeof(obj)
            size += bytes_
            if by_type is not None:
                name = type(obj).__qualname__
                by_type[name] = by_type.get(name, 0) + bytes_
            stack.extend(gc.get_referents(obj))
        return size

    gc.collect()
    moto_ids: set[int] = set()
    tracked = [getattr(m, "instances_tracked", []) for models in model_data.values() for m in models.values()]
    moto = reach([dynamodb_backends, cognitoidp_backends, motospeed._caches, *tracked], moto_ids)
    by_type: dict[str, int] = {}
    # The measurement's own bookkeeping is neither: skip it.
    everything = reach(gc.get_objects(), {*moto_ids, id(moto_ids), id(tracked)}, by_type)
    return {"moto_bytes": moto, "gateway_bytes": everything, **{f"type:{k}": v for k, v in by_type.items()}}
