"""`make soak`: `empirio dev` under a bounded soak (default 10 minutes, 16 clients) mixing the three wire formats,
buffered and streamed answers, clients that disconnect mid-stream, and upstreams that fail (HTTP errors,
resets, unparseable answers, early ends). Upstreams are the test suite's fake (real HTTP); the clients are the
official SDKs. At the end, once the requests still settling have drained, the sweeper runs, every soak account
must hold nothing and the reconciliation job must find no difference. The server's own heap (everything not
reachable from moto, whose stored items live in DynamoDB on AWS; measured by walking the heap at the end of the
warm-up and at the end, EMPIRIO_DEV_MEMORY=1) must grow by less than 10 %. Prints a summary and writes
bench/results/soak.json; exits 1 when a check fails.

    python -m bench.soak [--seconds 600] [--clients 16] [--only ACTION]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import anthropic
import httpx2 as httpx
import openai

from bench.run import free_port
from tests.contract.conftest import catalog_for
from tests.fakes.upstream import FakeUpstream

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "soak.json"
HELLO = [{"role": "user", "content": "Hello, how are you today?"}]
WARMUP_SECONDS = 30
DRAIN_SECONDS = 120  # a hold still pending after this is stuck, not settling


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Soak:
    ACTIONS: ClassVar[list[str]] = [
        "chat",
        "chat_stream",
        "responses",
        "messages_stream",
        "disconnect",
        "fault",
    ]

    def __init__(self, base: str, admin_token: str) -> None:
        self.base = base
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.outcomes: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.accounts: list[str] = []

    def account(self) -> str:
        created = httpx.post(
            f"{self.base}/admin/accounts", json={"name": "soak", "credits": "1000.00"}, headers=self.admin
        ).json()
        account_id = str(created["id"])
        httpx.patch(
            f"{self.base}/admin/accounts/{account_id}/limits",
            json={"rpm": 100_000, "tpm": 100_000_000},
            headers=self.admin,
        )
        key = httpx.post(
            f"{self.base}/admin/accounts/{account_id}/keys",
            json={"name": "soak", "scopes": ["inference", "manage"]},
            headers=self.admin,
        ).json()["key"]
        with self.lock:
            self.accounts.append(account_id)
        return str(key)

    def note(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def client(self, deadline: float, seed: int) -> None:
        rng = random.Random(seed)
        key = self.account()
        oa = openai.OpenAI(base_url=f"{self.base}/v1", api_key=key, max_retries=0, timeout=120)
        an = anthropic.Anthropic(base_url=self.base, api_key=key, max_retries=0, timeout=120)
        actions = [getattr(self, name) for name in self.ACTIONS]
        while time.monotonic() < deadline:
            action = rng.choice(actions)
            try:
                self.note(action(oa, an, key, rng))
            except (openai.APIStatusError, anthropic.APIStatusError) as error:
                self.note(f"{action.__name__}:{error.status_code}")
            except Exception as error:  # a transport error is a finding, counted and reported
                self.note(f"{action.__name__}:exception:{type(error).__name__}")

    @staticmethod
    def _model(rng: random.Random) -> str:
        return rng.choice(["local/echo", "test/openai", "test/anthropic", "test/bedrock"])

    def chat(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        oa.chat.completions.create(model=self._model(rng), messages=HELLO, max_tokens=50)
        return "chat:200"

    def chat_stream(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        stream = oa.chat.completions.create(
            model=self._model(rng), messages=HELLO, max_tokens=50, stream=True
        )
        for _ in stream:
            pass
        return "chat_stream:200"

    def responses(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        oa.responses.create(model=self._model(rng), input="Hello", max_output_tokens=50)
        return "responses:200"

    def messages_stream(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        with an.messages.stream(model=self._model(rng), max_tokens=50, messages=HELLO) as stream:
            for _ in stream:
                pass
        return "messages_stream:200"

    def disconnect(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        body = {"model": "test/openai-slow", "messages": HELLO, "stream": True, "max_tokens": 50}
        headers = {"Authorization": f"Bearer {key}"}
        url = f"{self.base}/v1/chat/completions"
        with httpx.stream("POST", url, json=body, headers=headers, timeout=120) as response:
            for _ in response.iter_bytes():
                break  # the client goes away after the first bytes
        return "disconnect:left"

    def fault(self, oa: Any, an: Any, key: str, rng: random.Random) -> str:
        scenario = rng.choice(["fail-500", "fail-429", "cut", "truncated", "garbage"])
        stream = rng.random() < 0.5
        model = f"test/{rng.choice(['openai', 'anthropic'])}-{scenario}"
        if stream:
            try:
                for _ in oa.chat.completions.create(model=model, messages=HELLO, max_tokens=50, stream=True):
                    pass
            except openai.APIError as error:  # an error event mid-stream
                return f"fault:{scenario}:stream:{getattr(error, 'status_code', 'event')}"
            return f"fault:{scenario}:stream:completed"
        oa.chat.completions.create(model=model, messages=HELLO, max_tokens=50)
        return f"fault:{scenario}:200"


def main() -> int:
    logging.getLogger("aiohttp.server").setLevel(
        logging.CRITICAL
    )  # the fake upstream, writing to a client that left
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--only", help="one action (chat, chat_stream, responses, messages_stream, disconnect, fault)"
    )
    args = parser.parse_args()
    if args.only:
        Soak.ACTIONS = [args.only]

    upstream = FakeUpstream()
    upstream.start()
    port, token = free_port(), "adm-soak-" + os.urandom(8).hex()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Path(tmp) / "catalog.json"
        catalog.write_text(json.dumps(catalog_for(upstream.base_url)))
        env = {
            **os.environ,
            "EMPIRIO_CATALOG": str(catalog),
            "EMPIRIO_ADMIN_TOKEN": token,
            "FAKE_OPENAI_KEY": "sk-fake",
            "FAKE_ANTHROPIC_KEY": "sk-fake",
            "EMPIRIO_UPSTREAM_TOTAL_TIMEOUT": "20",
            "EMPIRIO_DEV_MEMORY": "1",  # GET /__dev/memory: the heap split into moto's items and the rest
        }
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 (closed with the directory below)
        server = subprocess.Popen(
            [sys.executable, "-m", "empirio_cli", "dev", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            return run(server, base, token, args.seconds, args.clients)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(30)
            upstream.stop()
            log.close()
            problems = [
                line
                for line in (Path(tmp) / "server.log").read_text(errors="replace").splitlines()
                if "Traceback" in line or "ERROR" in line or "failed" in line
            ]
            print(f"server log: {len(problems)} error lines", *problems[:20], sep="\n", file=sys.stderr)


def run(server: subprocess.Popen[bytes], base: str, token: str, seconds: float, clients: int) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v1/models").status_code < 500:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    soak = Soak(base, token)
    started = time.monotonic()
    end = started + seconds
    threads = [threading.Thread(target=soak.client, args=(end, i), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(min(WARMUP_SECONDS, seconds / 4))
    warm_rss, warm_requests = rss_kib(server.pid), sum(soak.outcomes.values())
    warm_heap = httpx.get(f"{base}/__dev/memory", timeout=300).json()
    samples = []
    while time.monotonic() < end:
        time.sleep(min(10.0, max(0.0, end - time.monotonic())))
        samples.append(rss_kib(server.pid))
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    time.sleep(2)  # requests the clients left are settled inside their own lifetime; let the last ones finish
    end_rss, total = rss_kib(server.pid), sum(soak.outcomes.values())
    end_heap = httpx.get(f"{base}/__dev/memory", timeout=300).json()
    admin = {"Authorization": f"Bearer {token}"}

    def holding() -> dict[str, str]:
        held = {
            a: httpx.get(f"{base}/admin/accounts/{a}", headers=admin).json()["held"] for a in soak.accounts
        }
        return {a: h for a, h in held.items() if h not in (0, "0.00", "0.000000")}

    drained_at = time.monotonic()
    while (
        holding() and time.monotonic() < drained_at + DRAIN_SECONDS
    ):  # requests still settling after their clients left
        time.sleep(0.5)
    drain_seconds = time.monotonic() - drained_at
    sweep = httpx.post(
        f"{base}/admin/sweep", headers=admin, timeout=600
    ).json()  # moto scans the whole ledger
    held = holding()
    differences = httpx.post(f"{base}/admin/reconcile", headers=admin, timeout=600).json()["differences"]
    exceptions = {k: v for k, v in soak.outcomes.items() if ":exception:" in k or k.endswith(":500")}
    growth = (end_heap["gateway_bytes"] - warm_heap["gateway_bytes"]) / warm_heap["gateway_bytes"]
    after_warmup = total - warm_requests
    report = {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "outcomes": dict(sorted(soak.outcomes.items())),
        "drain_seconds": round(drain_seconds, 1),
        "sweep": sweep,
        "pending_holds": held,
        "reconciliation_differences": differences,
        "gateway_heap_mib": {
            "after_warmup": round(warm_heap["gateway_bytes"] / 2**20, 1),
            "end": round(end_heap["gateway_bytes"] / 2**20, 1),
        },
        "gateway_heap_growth": round(growth, 4),
        "moto_items_mib": {
            "after_warmup": round(warm_heap["moto_bytes"] / 2**20, 1),
            "end": round(end_heap["moto_bytes"] / 2**20, 1),
        },
        "gateway_heap_growth_by_type_kib": dict(
            sorted(
                (
                    (k.removeprefix("type:"), round((v - warm_heap.get(k, 0)) / 1024))
                    for k, v in end_heap.items()
                    if k.startswith("type:") and abs(v - warm_heap.get(k, 0)) > 64 * 1024
                ),
                key=lambda kv: -abs(kv[1]),
            )[:12]
        ),
        "rss_mib": {"after_warmup": round(warm_rss / 1024, 1), "end": round(end_rss / 1024, 1)},
        "rss_growth_per_1000_requests_kib": round((end_rss - warm_rss) / max(1, after_warmup) * 1000, 1),
        "rss_samples_mib": [round(s / 1024, 1) for s in samples],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    failures = []
    if report["pending_holds"]:
        failures.append("holds left pending after a sweep")
    if differences:
        failures.append("the reconciliation found differences")
    if exceptions:
        failures.append(f"transport errors or 500s: {exceptions}")
    if growth >= 0.10:
        failures.append(f"the gateway's own heap grew {growth:.1%} after warm-up")
    for failure in failures:
        print(f"soak: FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
