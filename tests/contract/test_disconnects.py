"""A client that leaves mid-stream is billed for what was generated before the response ends, because Lambda
freezes the process the moment it does. The app is driven over raw ASGI: the client reads the first words, then
goes away (``http.disconnect``, and sends fail); as soon as the app's call returns, the books are read without
yielding to the event loop again, so a settlement left to a background task would be missed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from empirio.providers import transport
from tests.contract.conftest import Gateway

HELLO = [{"role": "user", "content": "Hello"}]
CASES = {
    "chat": ("/v1/chat/completions", {"model": "test/openai-slow", "messages": HELLO}),
    "responses": (
        "/v1/responses",
        {"model": "test/bedrock-slow", "input": "Hello", "max_output_tokens": 100},
    ),
    "messages": ("/v1/messages", {"model": "test/anthropic-slow", "messages": HELLO, "max_tokens": 100}),
}


def scope(path: str, key: str, body: bytes) -> dict[str, Any]:
    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {key}".encode()),
        (b"x-api-key", key.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def leave_after_first_words(gateway: Gateway, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Stream ``body`` and disconnect after the first generated text; read the books the instant the app returns."""
    raw = json.dumps({**body, "stream": True}).encode()
    seen: list[bytes] = []

    async def run() -> dict[str, Any]:
        gone = asyncio.Event()
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if gone.is_set():
                raise OSError("the client has gone away")
            if message["type"] == "http.response.body":
                seen.append(message.get("body", b""))
                if b"Hello" in b"".join(seen):
                    gone.set()

        await gateway.client.app(scope(path, gateway.key, raw), receive, send)
        # Frozen from here on: no await, so nothing scheduled in the background can still run.
        account = gateway.context.accounts.require(gateway.account_id)
        books = {"held": account.held, "charged": account.charged, "records": gateway.usage_records()}
        await transport.close()  # the app's shutdown: this loop's pooled upstream connections
        return books

    return asyncio.run(run())


@pytest.mark.parametrize("case", CASES)
def test_a_disconnect_is_settled_before_the_response_ends(gateway: Gateway, case: str) -> None:
    path, body = CASES[case]
    books = leave_after_first_words(gateway, path, body)
    records = books["records"]
    assert books["held"] == 0, "the hold was left for a background task"
    assert len(records) == 1
    record = records[0]
    assert record["billing_status"] == "partial_disconnect" and record["status"] == "cancelled"
    assert 0 < record["output_tokens"] < 10  # what was received, not the upstream's full answer
    assert record["input_tokens"] > 0
    assert books["charged"] == record["cost"] > 0
    ledger = gateway.context.ledger.entries(gateway.account_id)
    charges = [e for e in ledger if e["kind"] == "hold" and e["status"] == "settled"]
    assert len(charges) == 1 and charges[0]["charge"] == record["cost"]
