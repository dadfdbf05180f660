"""The gateway as benchmarked: every family on uvicorn (uvloop + httptools), DynamoDB on moto in-process, and
instrumentation that separates our CPU from moto's: botocore events count the DynamoDB calls, and the time spent
inside moto (wall and CPU) is summed, so it can be subtracted. Stats at GET /__bench/stats."""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter

from bench.capacity import TOTALS, WriteMeter

STATS = {"dynamodb_calls": 0, "moto_wall": 0.0, "moto_cpu": 0.0}
_lock = threading.Lock()
# DynamoDB wall time of the current request (lock waits included), summed across the threads it runs in:
# Starlette copies the context into its threadpool, and the stream pump task inherits it.
_request_dynamodb: ContextVar[list[float] | None] = ContextVar("bench_dynamodb", default=None)


def _before_call(context: dict[str, Any], **_: Any) -> None:
    context["bench_started"] = time.perf_counter()
    with _lock:
        STATS["dynamodb_calls"] += 1


def _after_call(context: dict[str, Any], **_: Any) -> None:
    spent = _request_dynamodb.get()
    if spent is not None and "bench_started" in context:
        spent.append(time.perf_counter() - context["bench_started"])


class DynamoDBTimeHeader:
    """ASGI middleware: ``x-bench-dynamodb-ms`` on each response, the DynamoDB time before its headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        spent: list[float] = []
        _request_dynamodb.set(spent)

        async def timed_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (b"x-bench-dynamodb-ms", f"{sum(spent) * 1000:.3f}".encode())
                )
            await send(message)

        await self.app(scope, receive, timed_send)


def instrument_moto() -> None:
    from moto.core.botocore_stubber import BotocoreStubber

    from empirio_cli.localaws import serialized

    inner = BotocoreStubber.__call__

    meter = WriteMeter()

    def timed(self: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            if not event_name.startswith("before-send.dynamodb"):
                return inner(self, event_name, request, **kwargs)
            with serialized():  # the items read before and after are this call's alone
                return meter.around(request, lambda: inner(self, event_name, request, **kwargs))
        finally:
            with _lock:
                STATS["moto_wall"] += time.perf_counter() - wall
                STATS["moto_cpu"] += time.thread_time() - cpu

    BotocoreStubber.__call__ = timed  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--info", required=True, help="where to write the demo key")
    args = parser.parse_args()
    os.environ["EMPIRIO_CATALOG"] = args.catalog
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "false")

    from empirio_cli.dev import compose_app, prepare

    instrument_moto()  # wraps the serialized stubber: the lock is inside the timing, as contention would be
    context, demo, _ = prepare()
    context.accounts.set_limits(demo["account_id"], {"rpm": 1_000_000, "tpm": 10_000_000_000})
    context.accounts.top_up(demo["account_id"], 1_000_000_000_000, "bench", "bench")

    context.client.meta.events.register("before-call.dynamodb.*", _before_call)
    context.client.meta.events.register("after-call.dynamodb.*", _after_call)
    router = APIRouter()

    @router.get("/__bench/stats")
    def stats() -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with _lock:
            return {**STATS, **TOTALS, "process_cpu": usage.ru_utime + usage.ru_stime}

    app = compose_app()
    app.include_router(router)
    Path(args.info).write_text(json.dumps(demo))
    uvicorn.run(
        DynamoDBTimeHeader(app),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
