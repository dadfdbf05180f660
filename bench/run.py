"""`make bench`: start the fake upstream and the gateway on 127.0.0.1, measure, print a table, write
bench/results/latest.json. Bounded: every phase has a request count and a time limit."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.packages import cold_starts, package_sizes
from bench.pricing import cost_per_million

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "latest.json"
PHASE_SECONDS = 60  # no phase runs longer than this
LEVELS = {1: 200, 8: 400, 32: 800}  # concurrency → requests
STREAM_REQUESTS = 200
CHUNKS = 32
STREAM_UPSTREAM_MODEL = f"bench@{CHUNKS}x1"  # fake_upstream: CHUNKS pieces, 1 ms apart


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    return {
        "p50": round(pick(0.50) * 1000, 3),
        "p95": round(pick(0.95) * 1000, 3),
        "p99": round(pick(0.99) * 1000, 3),
    }


async def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def load(
    url: str,
    headers: dict[str, str],
    body: dict[str, Any],
    concurrency: int,
    count: int,
    stream: bool = False,
) -> dict[str, Any]:
    """Send ``count`` requests with ``concurrency`` in flight; latency (and time to first byte when streaming)."""
    latencies: list[float] = []
    ex_dynamodb: list[float] = []  # latency minus the DynamoDB time the gateway reports for the request
    reported: list[
        float
    ] = []  # that DynamoDB time (for streams: the admission only, it precedes the headers)
    first_bytes: list[float] = []
    errors = 0
    remaining = count
    deadline = time.monotonic() + PHASE_SECONDS
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.monotonic() < deadline:
                remaining -= 1
                started = time.perf_counter()
                async with session.post(url, json=body, headers=headers) as response:
                    if stream:
                        first = True
                        async for _ in response.content.iter_any():
                            if first:
                                first_bytes.append(time.perf_counter() - started)
                                first = False
                    else:
                        await response.read()
                    if response.status != 200:
                        errors += 1
                    dynamodb_s = float(response.headers.get("x-bench-dynamodb-ms", 0)) / 1000
                latencies.append(time.perf_counter() - started)
                ex_dynamodb.append(latencies[-1] - dynamodb_s)
                reported.append(dynamodb_s)
                if stream and first_bytes:
                    first_bytes[-1] -= dynamodb_s  # before the first byte only the admission has run

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result: dict[str, Any] = {
        "requests": len(latencies),
        "errors": errors,
        "latency_ms": percentiles(latencies),
        "ex_dynamodb_ms": percentiles(ex_dynamodb),
        "reported_dynamodb_ms_mean": round(statistics.fmean(reported) * 1000, 3) if reported else 0.0,
    }
    if stream:
        result["first_byte_ms"] = percentiles(first_bytes)
    return result


async def stats(gateway: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{gateway}/__bench/stats") as response:
        return dict(await response.json())


async def measure(gateway: str, upstream: str, key: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}", "x-bench-chunks": "16"}
    direct_headers = {"Authorization": "Bearer bench", "x-bench-chunks": "16"}
    body = {
        "model": "bench/openai",
        "messages": [{"role": "user", "content": "Say sixteen words."}],
        "max_tokens": 64,
    }
    direct_body = {**body, "model": "bench"}
    await load(f"{gateway}/v1/chat/completions", auth, body, 4, 100)  # warm up: caches, pools, hints
    out: dict[str, Any] = {"buffered": {}}
    for concurrency, count in LEVELS.items():
        direct = await load(
            f"{upstream}/v1/chat/completions", direct_headers, direct_body, concurrency, count
        )
        before = await stats(gateway)
        via = await load(f"{gateway}/v1/chat/completions", auth, body, concurrency, count)
        after = await stats(gateway)
        n = max(1, via["requests"])
        moto_ms = (after["moto_wall"] - before["moto_wall"]) / n * 1000
        cpu_ms = (
            (after["process_cpu"] - before["process_cpu"] - (after["moto_cpu"] - before["moto_cpu"]))
            / n
            * 1000
        )
        added = {p: round(via["latency_ms"][p] - direct["latency_ms"][p], 3) for p in ("p50", "p95", "p99")}
        out["buffered"][str(concurrency)] = {
            "direct_ms": direct["latency_ms"],
            "gateway_ms": via["latency_ms"],
            "added_ms": added,
            "added_ex_dynamodb_ms": {
                p: round(via["ex_dynamodb_ms"][p] - direct["latency_ms"][p], 3) for p in ("p50", "p95", "p99")
            },
            "dynamodb_ms_per_request": round(moto_ms, 3),
            "own_cpu_ms_per_request": round(cpu_ms, 3),
            "dynamodb_calls_per_request": round((after["dynamodb_calls"] - before["dynamodb_calls"]) / n, 3),
            "write_units_per_request": round((after["write_units"] - before["write_units"]) / n, 2),
            "requests": via["requests"],
            "errors": via["errors"] + direct["errors"],
        }
    # the stream's shape rides in the upstream model's name (a gateway forwards no client header): both sides
    # get CHUNKS pieces a millisecond apart
    direct_stream = await load(
        f"{upstream}/v1/chat/completions",
        {"Authorization": "Bearer bench"},
        {**direct_body, "model": STREAM_UPSTREAM_MODEL, "stream": True},
        1,
        STREAM_REQUESTS,
        stream=True,
    )
    before = await stats(gateway)
    via_stream = await load(
        f"{gateway}/v1/chat/completions",
        {"Authorization": f"Bearer {key}"},
        {**body, "model": "bench/stream", "stream": True},
        1,
        STREAM_REQUESTS,
        stream=True,
    )
    after = await stats(gateway)
    n = max(1, via_stream["requests"])
    moto_ms = (after["moto_wall"] - before["moto_wall"]) / n * 1000
    ttft_ex = via_stream["first_byte_ms"]["p50"] - direct_stream["first_byte_ms"]["p50"]  # admission excluded
    body_gw = via_stream["latency_ms"]["p50"] - via_stream["first_byte_ms"]["p50"]
    body_direct = direct_stream["latency_ms"]["p50"] - direct_stream["first_byte_ms"]["p50"]
    settle_ms = moto_ms - via_stream["reported_dynamodb_ms_mean"]  # all DynamoDB time minus the admission
    out["streaming"] = {
        "chunks": CHUNKS,
        "direct": direct_stream,
        "gateway": via_stream,
        "added_ttft_ex_dynamodb_ms_p50": round(ttft_ex, 3),
        "dynamodb_ms_per_request_mean": round(moto_ms, 3),
        # after the first byte: rendering every chunk, plus the settle transaction before the final event
        "added_after_first_byte_ms_p50": round(body_gw - body_direct, 3),
        "overhead_per_chunk_ms_incl_settle": round((body_gw - body_direct) / CHUNKS, 4),
        "settle_dynamodb_ms_mean": round(settle_ms, 3),
        "overhead_per_chunk_ms": round((body_gw - body_direct - settle_ms) / CHUNKS, 4),
    }
    return out


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }


def bench_catalog(upstream: str) -> dict[str, Any]:
    """Two models served by the fake upstream: `bench/openai` (16 pieces at once) and `bench/stream` (the
    streaming phase's shape)."""
    model = {
        "id": "bench/openai",
        "provider": "openai",
        "upstream_model": "bench",
        "base_url": f"{upstream}/v1",
        "api_key_env": "BENCH_UPSTREAM_KEY",
        "pricing": {"input_per_mtok": "1", "output_per_mtok": "2"},
        "context_window": 100000,
        "max_output_tokens": 4096,
        "region": "local",
        "modalities": {"input": ["text"], "output": ["text"]},
        "endpoints": ["/v1/chat/completions"],
    }
    stream = {**model, "id": "bench/stream", "upstream_model": STREAM_UPSTREAM_MODEL}
    return {"version": "bench", "models": [model, stream]}


def start_gateway(tmp: Path, up_port: int, gw_port: int) -> tuple[list[subprocess.Popen[bytes]], Path]:
    """The fake upstream and the gateway (bench.server) as processes; and where the gateway writes its demo key."""
    catalog, info = tmp / "catalog.json", tmp / "demo.json"
    catalog.write_text(json.dumps(bench_catalog(f"http://127.0.0.1:{up_port}")))
    env = {**os.environ, "BENCH_UPSTREAM_KEY": "bench", "EMPIRIO_ADMIN_TOKEN": "bench-admin"}
    commands = [
        ["bench.fake_upstream", "--port", str(up_port)],
        ["bench.server", "--port", str(gw_port), "--catalog", str(catalog), "--info", str(info)],
    ]
    quiet = subprocess.DEVNULL
    procs = [
        subprocess.Popen([sys.executable, "-m", *c], stdout=quiet, stderr=quiet, env=env, cwd=REPO)
        for c in commands
    ]
    return procs, info


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> int:
    started = time.monotonic()
    up_port, gw_port = free_port(), free_port()
    upstream, gateway = f"http://127.0.0.1:{up_port}", f"http://127.0.0.1:{gw_port}"
    with tempfile.TemporaryDirectory() as tmp:
        procs, info = start_gateway(Path(tmp), up_port, gw_port)
        try:
            asyncio.run(wait_ready(f"{gateway}/__bench/stats"))
            key = json.loads(info.read_text())["api_key"]
            results: dict[str, Any] = {"machine": machine(), **asyncio.run(measure(gateway, upstream, key))}
        finally:
            stop(procs)
    results["cold_start"] = cold_starts()
    results["packages"] = package_sizes()
    results["cost"] = cost_per_million(results)
    results["duration_s"] = round(time.monotonic() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(render(results))
    return 0


def render(r: dict[str, Any]) -> str:
    lines = [
        f"machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, {r['machine']['platform']}",
        "",
        "buffered  | added p50 / p95 / p99 ms | ex-DynamoDB p50 | DynamoDB ms | own CPU ms | DynamoDB calls "
        "| write units",
        "----------|--------------------------|-----------------|-------------|------------|----------------"
        "|------------",
    ]
    for c, b in r["buffered"].items():
        a = b["added_ms"]
        lines.append(
            f"c={c:<8}| {a['p50']:>6} / {a['p95']:>6} / {a['p99']:>6} | "
            f"{b['added_ex_dynamodb_ms']['p50']:>15} | {b['dynamodb_ms_per_request']:>11} | "
            f"{b['own_cpu_ms_per_request']:>10} | {b['dynamodb_calls_per_request']:>14} "
            f"| {b.get('write_units_per_request', '-'):>11}"
        )
    s = r["streaming"]
    lines += [
        "",
        f"streaming: added TTFT p50 ex-DynamoDB {s['added_ttft_ex_dynamodb_ms_p50']} ms; after the first byte "
        f"{s['added_after_first_byte_ms_p50']} ms for {s['chunks']} chunks, settle transaction included "
        f"({s['overhead_per_chunk_ms_incl_settle']} ms a chunk; {s['overhead_per_chunk_ms']} ms without the settle)",
        "",
    ]
    lines.append(
        "cold start (import, s): " + ", ".join(f"{k} {v['median_s']}" for k, v in r["cold_start"].items())
    )
    lines.append("packages (MB unzipped): " + ", ".join(f"{k} {v}" for k, v in r["packages"].items()))
    lines.append(
        f"cost per million requests (USD): {r['cost']['total_per_million_usd']} "
        f"({r['cost']['assumptions']['upstream_seconds']} s upstream wait included)"
    )
    lines.append(f"bench took {r['duration_s']} s")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
