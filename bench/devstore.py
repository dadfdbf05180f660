"""The dev server as it grows and as it is shared (`python -m bench.devstore`; `make bench` runs it too):

1. Local DynamoDB (moto, serialized) time of one request's two writes, the admission and settle transactions as
   the inference path makes them, with 1,000 and then 100,000 usage records stored (target: within 20 %).
2. `empirio dev` as its own process with 32 concurrent clients of `local/echo` (target: p50 under 100 ms).

Updates the "dev_server" entry of bench/results/latest.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.run import free_port, percentiles, wait_ready

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SMALL, LARGE = 1_000, 100_000
REQUESTS = 300
CLIENTS, CLIENT_REQUESTS = 32, 1_600
DAY = 86400


def _request_ms(context: Any, account_id: str, key_id: str, count: int) -> float:
    """Median ms of admit + settle through the Meter (the inference path's two DynamoDB calls)."""
    from empirio.domain.accounts import Principal
    from empirio.domain.pricing import Usage
    from empirio.domain.usage_record import Outcome
    from empirio.services.metering import MeterRequest

    model = context.catalog.get("local/echo")
    principal = Principal(account_id=account_id, key_id=key_id)
    times = []
    for i in range(count):
        started = time.perf_counter()
        admission = context.meter.admit(
            MeterRequest(
                principal=principal,
                request_id=f"bench-{time.time_ns()}-{i}",
                model=model,
                prompt_tokens=20,
                max_tokens=50,
            )
        )
        context.meter.settle(
            admission,
            Usage(input_tokens=20, output_tokens=10),
            Outcome(model=model.id, provider=model.provider, status="ok"),
        )
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def store_growth() -> dict[str, Any]:
    os.environ.setdefault("EMPIRIO_ADMIN_TOKEN", "bench-admin")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    from empirio_cli.dev import prepare
    from empirio_cli.seed import usage_records, write_records

    context, demo, mock = prepare()
    try:
        account_id = demo["account_id"]
        context.accounts.set_limits(account_id, {"rpm": 1_000_000, "tpm": 10_000_000_000})
        context.accounts.top_up(account_id, 10**12, "bench", "bench")
        key_id = context.keys.list(account_id)[0].key_id
        now = int(time.time())
        write_records(context, usage_records(account_id, SMALL, now - 30 * DAY, now))
        _request_ms(context, account_id, key_id, 50)  # warm caches and hints
        small = _request_ms(context, account_id, key_id, REQUESTS)
        write_records(context, usage_records(account_id, LARGE - SMALL, now - 30 * DAY, now))
        large = _request_ms(context, account_id, key_id, REQUESTS)
        return {
            "records_small": SMALL,
            "records_large": LARGE,
            "request_ms_small": round(small, 3),
            "request_ms_large": round(large, 3),
            "ratio": round(large / small, 3),
        }
    finally:
        mock.stop()


async def _clients(base: str, key: str) -> dict[str, Any]:
    body = {"model": "local/echo", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 32}
    headers = {"Authorization": f"Bearer {key}"}
    latencies: list[float] = []
    errors = 0
    remaining = CLIENT_REQUESTS
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:

        async def client() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                async with session.post(
                    f"{base}/v1/chat/completions", json=body, headers=headers
                ) as response:
                    await response.read()
                    errors += response.status != 200
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return {
        "clients": CLIENTS,
        "requests": len(latencies),
        "errors": errors,
        "latency_ms": percentiles(latencies),
    }


async def _raise_limits(base: str, account_id: str) -> None:
    """The demo account's 50 requests a minute would answer most of the load with 429: lift them (admin API)."""
    headers = {"Authorization": "Bearer bench-admin"}
    async with aiohttp.ClientSession() as session:
        url = f"{base}/admin/accounts/{account_id}/limits"
        async with session.patch(url, json={"rpm": 1_000_000, "tpm": 10**10}, headers=headers) as response:
            assert response.status == 200, await response.text()


def concurrent_clients() -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EMPIRIO_ADMIN_TOKEN": "bench-admin", "STRIPE_SECRET_KEY": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "empirio_cli", "dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        found: dict[str, str] = {}
        for line in server.stdout:  # the banner: the demo account and its key
            if "demo account:" in line:
                found["account_id"] = line.split("demo account:")[1].split()[0]
            if "API key:" in line:
                found["api_key"] = line.split("API key:")[1].strip()
                break
        # its request lines keep coming: read them, or the pipe fills and the server stops
        threading.Thread(target=server.stdout.read, daemon=True).start()
        asyncio.run(wait_ready(f"{base}/v1/models"))
        asyncio.run(_raise_limits(base, found["account_id"]))
        asyncio.run(_clients(base, found["api_key"]))  # warm up: every connection, cache and hint
        return asyncio.run(_clients(base, found["api_key"]))
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    result = {"store_growth": store_growth(), "concurrent_clients": concurrent_clients()}
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["dev_server"] = result
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    growth, clients = result["store_growth"], result["concurrent_clients"]
    print(
        f"dev store: a request's DynamoDB time {growth['request_ms_small']} ms with {SMALL:,} usage records, "
        f"{growth['request_ms_large']} ms with {LARGE:,} ({growth['ratio']}x)\n"
        f"dev server: {clients['clients']} clients, {clients['requests']} requests, p50 / p95 "
        f"{clients['latency_ms']['p50']} / {clients['latency_ms']['p95']} ms, {clients['errors']} errors"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
