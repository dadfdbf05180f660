"""The dev server as a user runs it (`empirio dev`): a real process on a free port, shared by the e2e tests."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def dev_server() -> Iterator[dict[str, Any]]:
    port = _free_port()
    env = {**os.environ, "EMPIRIO_ADMIN_TOKEN": "e2e-admin-token", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "empirio_cli", "dev", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    printed: dict[str, Any] = {}
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if match := re.match(r"\s+(base URL|API key|admin token):\s+(\S+)", line):
            printed[match.group(1)] = match.group(2)
        if match := re.search(r"sign in as (\S+) / (\S+),", line):
            printed["demo email"], printed["demo password"] = match.groups()
        if "Uvicorn running" in line or "Application startup complete" in line or time.monotonic() > deadline:
            break
    # Keep draining the server's output so its access log can never fill the pipe and block it.
    outbox: list[str] = []
    lines: list[str] = []

    def keep(line: str) -> None:
        (outbox if line.startswith("outbox:") else lines).append(line)
        del lines[:-500]  # the last lines the terminal shows

    drain = threading.Thread(target=lambda: [keep(line) for line in process.stdout], daemon=True)  # type: ignore[union-attr]
    drain.start()
    printed["outbox"] = outbox  # type: ignore[assignment]
    printed["lines"] = lines  # type: ignore[assignment]
    try:
        yield printed
    finally:
        process.terminate()
        process.wait(timeout=10)
        drain.join(timeout=5)
        process.stdout.close()
