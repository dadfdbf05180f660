"""Requests shaped like Claude Code's and Codex CLI's, and the JavaScript SDK's expectations, over raw HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contract.conftest import Gateway

CLAUDE_CODE_HEADERS = {
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
    "x-app": "cli",
    "user-agent": "claude-cli/2.0.14 (external, cli)",
    "content-type": "application/json",
}


def claude_code_body(model: str, stream: bool) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 32000,
        "stream": stream,
        "temperature": 1,
        "system": [
            {
                "type": "text",
                "text": "You are Claude Code, Anthropic's official CLI for Claude.",
                "cache_control": {"type": "ephemeral"},
            },
            {
                "type": "text",
                "text": "You are an interactive CLI tool that helps users with software engineering tasks.",
            },
        ],
        "messages": [
            {"role": "system", "content": "Environment: linux"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>Be concise.</system-reminder>"},
                    {"type": "text", "text": "Hello", "cache_control": {"type": "ephemeral"}},
                ],
            },
        ],
        "tools": [
            {
                "name": "Bash",
                "description": "Executes a bash command",
                "defer_loading": False,
                "input_schema": {
                    "type": "object",
                    "properties": {"command": {"type": "string"}},
                    "required": ["command"],
                    "additionalProperties": False,
                    "$schema": "http://json-schema.org/draft-07/schema#",
                },
            },
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        ],
        "thinking": {"type": "enabled", "budget_tokens": 31999},
        "metadata": {"user_id": "user_abc_account__session_123"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
    }


def sse_events(text: str) -> list[tuple[str | None, dict[str, Any]]]:
    events = []
    for block in text.split("\n\n"):
        event, data = None, None
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        if data and data != "[DONE]":
            events.append((event, json.loads(data)))
    return events


@pytest.mark.parametrize("model", ["claude-sonnet-4-5-20250929", "local/echo"])
@pytest.mark.parametrize("auth", ["x-api-key", "bearer"])
def test_claude_code_streams_then_retries_buffered(gateway: Gateway, model: str, auth: str) -> None:
    key = {"x-api-key": gateway.key} if auth == "x-api-key" else {"Authorization": f"Bearer {gateway.key}"}
    headers = {**CLAUDE_CODE_HEADERS, **key}
    streamed = gateway.client.post(
        "/v1/messages?beta=true", json=claude_code_body(model, True), headers=headers
    )
    assert streamed.status_code == 200 and streamed.headers["content-type"].startswith("text/event-stream")
    kinds = [e for e, _ in sse_events(streamed.text)]
    assert kinds[0] == "message_start" and "ping" in kinds and kinds[-2:] == ["message_delta", "message_stop"]
    assert "content_block_delta" in kinds
    buffered = gateway.client.post(
        "/v1/messages?beta=true", json=claude_code_body(model, False), headers=headers
    )
    assert buffered.status_code == 200
    body = buffered.json()
    assert (
        body["type"] == "message"
        and body["content"][0]["type"] == "text"
        and body["usage"]["output_tokens"] > 0
    )


def test_claude_code_adaptive_thinking_and_count_tokens(gateway: Gateway) -> None:
    headers = {**CLAUDE_CODE_HEADERS, "x-api-key": gateway.key}
    body = {**claude_code_body("local/echo", False), "thinking": {"type": "adaptive"}}
    assert gateway.client.post("/v1/messages", json=body, headers=headers).status_code == 200
    count = gateway.client.post(
        "/v1/messages/count_tokens?beta=true",
        headers=headers,
        json={k: body[k] for k in ("model", "system", "messages", "tools")},
    )
    assert count.status_code == 200 and count.json()["input_tokens"] > 10


def test_head_root_is_answered_quickly(gateway: Gateway) -> None:
    response = gateway.client.head("/")
    assert response.status_code == 200 and response.content == b""


def codex_body(model: str, stream: bool) -> dict[str, Any]:
    return {
        "model": model,
        "instructions": "You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI.",
        "input": [
            {
                "type": "message",
                "id": "msg_dev_1",
                "role": "developer",
                "content": [
                    {"type": "input_text", "text": "<permissions instructions>sandbox: workspace-write"}
                ],
            },
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "<environment_context>cwd: /repo</environment_context>"}
                ],
            },
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAB..."},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello"}]},
        ],
        "tools": [
            {
                "type": "function",
                "name": "shell",
                "description": "Runs a shell command",
                "strict": False,
                "parameters": {
                    "type": "object",
                    "properties": {"command": {"type": "array", "items": {"type": "string"}}},
                    "required": ["command"],
                },
            },
            {
                "type": "namespace",
                "name": "mcp__docs",
                "description": "Docs server",
                "tools": [
                    {
                        "type": "function",
                        "name": "search_docs",
                        "parameters": {"type": "object", "properties": {}},
                    }
                ],
            },
            {"type": "web_search"},
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": stream,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "0198f3c2-1111-7000-8000-000000000000",
        "client_metadata": {"originator": "codex_cli_rs"},
        "text": {"verbosity": "medium"},
    }


@pytest.mark.parametrize("model", ["gpt-5-codex", "local/echo"])
def test_codex_streams_and_always_ends_with_completed_usage(gateway: Gateway, model: str) -> None:
    headers = {"Authorization": f"Bearer {gateway.key}", "originator": "codex_cli_rs", "session_id": "s-1"}
    streamed = gateway.client.post("/v1/responses", json=codex_body(model, True), headers=headers)
    assert streamed.status_code == 200
    events = sse_events(streamed.text)
    assert events[0][0] == "response.created" and events[-1][0] == "response.completed"
    usage = events[-1][1]["response"]["usage"]
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0 and usage["cost"]
    assert [e[1]["sequence_number"] for e in events] == list(range(len(events)))
    sent = gateway.upstream.last("/openai/")["body"] if model != "local/echo" else None
    if sent is not None:  # the namespace was flattened and the hosted web_search tool dropped
        assert [t["function"]["name"] for t in sent["tools"]] == ["shell", "search_docs"]
        assert sent["messages"][0]["role"] == "system"
    buffered = gateway.client.post("/v1/responses", json=codex_body(model, False), headers=headers)
    assert buffered.status_code == 200 and buffered.json()["status"] == "completed"


def test_the_usage_chunk_has_empty_choices_and_comes_right_before_done(gateway: Gateway) -> None:
    response = gateway.client.post(
        "/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.key}"},
        json={"model": "test/openai", "stream": True, "messages": [{"role": "user", "content": "Hello"}]},
    )
    blocks = [b for b in response.text.split("\n\n") if b.strip()]
    assert blocks[-1] == "data: [DONE]"
    last = json.loads(blocks[-2][6:])
    assert last["choices"] == [] and last["usage"]["total_tokens"] == 29 and last["usage"]["cost"]
