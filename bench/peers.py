"""`make bench-peers`: our gateway and the LiteLLM proxy against the same fake upstream, on this machine, in the
same run, and our added latency and CPU per request as a ratio of LiteLLM's.

LiteLLM runs from its own virtualenv (bench/.peers, created from bench/peers-requirements.txt: LiteLLM 1.110.2,
the version in our lock, with the proxy's dependencies), so neither project's packages touch the other's. It is
configured with one model and a master key and no database: it authenticates the key and forwards, without the
spend tracking and budgets that would need Postgres; we hold credits, take rate limits and write a usage record in
DynamoDB (moto here, so our latency is also shown without DynamoDB, and our CPU without moto's).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import REPO, free_port, load, start_gateway, stats, stop, wait_ready

PEERS = REPO / "bench" / ".peers"
REQUIREMENTS = REPO / "bench" / "peers-requirements.txt"
REQUESTS = 300
MASTER_KEY = "sk-bench-master"


def peers_python() -> Path:
    """The isolated virtualenv's interpreter, created (and its packages installed) on first use."""
    python = PEERS / "bin" / "python"
    stamp = PEERS / ".installed"
    if not stamp.exists() or stamp.read_text() != REQUIREMENTS.read_text():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                str(REQUIREMENTS),
            ],
            check=True,
        )
        stamp.write_text(REQUIREMENTS.read_text())
    return python


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(upstream: str, ours: str, key: str, litellm: str, litellm_pid: int) -> dict[str, Any]:
    body = {"messages": [{"role": "user", "content": "Say sixteen words."}], "max_tokens": 64}
    chunks = {"x-bench-chunks": "16"}
    direct_args = ({"Authorization": "Bearer bench", **chunks}, {**body, "model": "bench"})
    ours_args = ({"Authorization": f"Bearer {key}", **chunks}, {**body, "model": "bench/openai"})
    litellm_args = ({"Authorization": f"Bearer {MASTER_KEY}", **chunks}, {**body, "model": "bench"})
    for url, (headers, payload) in ((ours, ours_args), (litellm, litellm_args)):  # warm up both
        await load(f"{url}/v1/chat/completions", headers, payload, 1, 50)
    direct = await load(f"{upstream}/v1/chat/completions", *direct_args, 1, REQUESTS)
    before = await stats(ours)
    via_ours = await load(f"{ours}/v1/chat/completions", *ours_args, 1, REQUESTS)
    after = await stats(ours)
    n = max(1, via_ours["requests"])
    ours_cpu = (after["process_cpu"] - before["process_cpu"] - (after["moto_cpu"] - before["moto_cpu"])) / n
    cpu_before = cpu_seconds(litellm_pid)
    via_litellm = await load(f"{litellm}/v1/chat/completions", *litellm_args, 1, REQUESTS)
    litellm_cpu = (cpu_seconds(litellm_pid) - cpu_before) / max(1, via_litellm["requests"])
    base = direct["latency_ms"]["p50"]
    ours_added = via_ours["latency_ms"]["p50"] - base
    ours_added_ex = via_ours["ex_dynamodb_ms"]["p50"] - base
    litellm_added = via_litellm["latency_ms"]["p50"] - base
    return {
        "requests": REQUESTS,
        "direct_p50_ms": base,
        "ours": {
            "added_p50_ms": round(ours_added, 3),
            "added_ex_dynamodb_p50_ms": round(ours_added_ex, 3),
            "cpu_ms_per_request": round(ours_cpu * 1000, 3),
            "errors": via_ours["errors"],
        },
        "litellm": {
            "added_p50_ms": round(litellm_added, 3),
            "cpu_ms_per_request": round(litellm_cpu * 1000, 3),
            "errors": via_litellm["errors"],
        },
        "ratio_added_latency": round(ours_added / litellm_added, 3) if litellm_added > 0 else None,
        "ratio_added_latency_ex_dynamodb": round(ours_added_ex / litellm_added, 3)
        if litellm_added > 0
        else None,
        "ratio_cpu": round(ours_cpu / litellm_cpu, 3) if litellm_cpu > 0 else None,
    }


def main() -> int:
    peers_python()  # the isolated virtualenv, installed on first use
    up_port, ours_port, litellm_port = free_port(), free_port(), free_port()
    upstream = f"http://127.0.0.1:{up_port}"
    ours, litellm = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{litellm_port}"
    with tempfile.TemporaryDirectory() as tmp:
        procs, info = start_gateway(Path(tmp), up_port, ours_port)
        config = Path(tmp) / "litellm.yaml"
        config.write_text(
            "model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/bench\n"
            f"      api_base: {upstream}/v1\n      api_key: bench\n"
            f"general_settings:\n  master_key: {MASTER_KEY}\n"
        )
        peer_env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT")
        }
        peer_env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_LOG="ERROR")
        litellm_cli = [str(PEERS / "bin" / "litellm"), "--config", str(config), "--port", str(litellm_port)]
        peer = subprocess.Popen(
            [*litellm_cli, "--num_workers", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=peer_env,
            cwd=tmp,
        )
        try:
            asyncio.run(wait_ready(f"{ours}/__bench/stats"))
            asyncio.run(wait_ready(f"{litellm}/health/liveliness", seconds=120))
            key = json.loads(info.read_text())["api_key"]
            started = time.monotonic()
            result = asyncio.run(_measure(upstream, ours, key, litellm, peer.pid))
            result["seconds"] = round(time.monotonic() - started, 1)
        finally:
            stop([*procs, peer])
    print(
        f"c=1, {REQUESTS} requests each, same fake upstream (direct p50 {result['direct_p50_ms']} ms)\n"
        f"added latency p50: ours {result['ours']['added_p50_ms']} ms "
        f"({result['ours']['added_ex_dynamodb_p50_ms']} ms without DynamoDB), "
        f"LiteLLM {result['litellm']['added_p50_ms']} ms → ratio {result['ratio_added_latency']} "
        f"({result['ratio_added_latency_ex_dynamodb']} without DynamoDB)\n"
        f"CPU per request: ours {result['ours']['cpu_ms_per_request']} ms (moto's excluded), "
        f"LiteLLM {result['litellm']['cpu_ms_per_request']} ms → ratio {result['ratio_cpu']}"
    )
    results_path = REPO / "bench" / "results" / "latest.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results["peers"] = result
    results_path.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
