"""Every client format against every provider, buffered and streamed, text and tools, with money checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.contract.conftest import PROVIDERS, Gateway, wire_cost

FORMATS = ("chat", "responses", "messages")
WEATHER = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}


def model_for(provider: str) -> str:
    return "local/echo" if provider == "local" else f"test/{provider}"


def ask_text(gw: Gateway, fmt: str, model: str, stream: bool) -> tuple[str, Any]:
    """(answer text, cost) through the official SDK of the format."""
    prompt = "Hello"
    if fmt == "chat":
        sdk = gw.openai()
        if not stream:
            r = sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
            return r.choices[0].message.content or "", r.usage.model_extra["cost"]  # type: ignore[union-attr]
        chunks = list(
            sdk.chat.completions.create(
                model=model, messages=[{"role": "user", "content": prompt}], stream=True
            )
        )
        assert chunks[-1].choices == [] and chunks[-1].usage is not None  # the usage chunk before [DONE]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        return text, chunks[-1].usage.model_extra["cost"]  # type: ignore[union-attr]
    if fmt == "responses":
        sdk = gw.openai()
        if not stream:
            r = sdk.responses.create(model=model, input=prompt)
            return r.output_text, r.usage.model_extra["cost"]  # type: ignore[union-attr]
        events = list(sdk.responses.create(model=model, input=prompt, stream=True))
        assert events[0].type == "response.created" and events[-1].type == "response.completed"
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        final = events[-1].response  # type: ignore[union-attr]
        assert final.output_text == text
        return text, final.usage.model_extra["cost"]  # type: ignore[union-attr]
    sdk_a = gw.anthropic()
    if not stream:
        m = sdk_a.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": prompt}])
        return "".join(b.text for b in m.content if b.type == "text"), m.usage.model_extra["cost"]  # type: ignore[union-attr]
    text, cost = "", None
    with sdk_a.messages.stream(
        model=model, max_tokens=256, messages=[{"role": "user", "content": prompt}]
    ) as s:
        for event in s:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text += event.delta.text
            elif event.type == "message_delta":
                cost = event.usage.model_extra["cost"]  # type: ignore[index]
        assert s.get_final_message().stop_reason == "end_turn"
    return text, cost


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_text(gateway: Gateway, fmt: str, provider: str, stream: bool) -> None:
    before = gateway.balance()
    text, cost = ask_text(gateway, fmt, model_for(provider), stream)
    expected = "Hello" if provider == "local" else "Hello! How can I assist you today?"
    assert text == expected
    # usage.cost is a JSON number (as OpenRouter's), exactly the balance movement to the micro-dollar
    assert wire_cost(cost) > 0 and before - gateway.balance() == wire_cost(cost)
    records = gateway.usage_records()
    assert len(records) == 1 and records[0]["cost"] == wire_cost(cost) and records[0]["streamed"] is stream
    assert gateway.context.accounts.require(gateway.account_id).held == 0


def call_tool(gw: Gateway, fmt: str, model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    """(tool name, arguments) of the tool call the model made."""
    if fmt == "chat":
        tools = [
            {
                "type": "function",
                "function": {"name": "get_current_weather", "description": "Weather", "parameters": WEATHER},
            }
        ]
        kwargs: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "user", "content": "Weather in Boston?"}],
            "tools": tools,
            "tool_choice": "required",
        }
        if not stream:
            call = gw.openai().chat.completions.create(**kwargs).choices[0].message.tool_calls[0]  # type: ignore[index]
            return call.function.name, json.loads(call.function.arguments)  # type: ignore[union-attr]
        name, args = "", ""
        for chunk in gw.openai().chat.completions.create(**kwargs, stream=True):
            for tc in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                name += (tc.function.name or "") if tc.function else ""
                args += (tc.function.arguments or "") if tc.function else ""
        return name, json.loads(args)
    if fmt == "responses":
        tools_r = [
            {
                "type": "function",
                "name": "get_current_weather",
                "description": "Weather",
                "parameters": WEATHER,
                "strict": False,
            }
        ]
        kw: dict[str, Any] = {
            "model": model,
            "input": "Weather in Boston?",
            "tools": tools_r,
            "tool_choice": "required",
        }
        if not stream:
            out = gw.openai().responses.create(**kw).output
        else:
            events = list(gw.openai().responses.create(**kw, stream=True))
            out = events[-1].response.output  # type: ignore[union-attr]
        call = next(o for o in out if o.type == "function_call")
        return call.name, json.loads(call.arguments)  # type: ignore[union-attr]
    tools_a = [{"name": "get_current_weather", "description": "Weather", "input_schema": WEATHER}]
    kwa: dict[str, Any] = {
        "model": model,
        "max_tokens": 256,
        "tools": tools_a,
        "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "Weather in Boston?"}],
    }
    if not stream:
        message = gw.anthropic().messages.create(**kwa)
    else:
        with gw.anthropic().messages.stream(**kwa) as s:
            message = s.get_final_message()
    use = next(b for b in message.content if b.type == "tool_use")
    assert message.stop_reason == "tool_use"
    return use.name, dict(use.input)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_tools(gateway: Gateway, fmt: str, provider: str, stream: bool) -> None:
    name, args = call_tool(gateway, fmt, model_for(provider), stream)
    assert name == "get_current_weather"
    assert args == ({} if provider == "local" else {"location": "Boston, MA"})
    assert gateway.charged() == gateway.usage_records()[0]["cost"] > 0
