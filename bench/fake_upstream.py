"""A parametric fake upstream for benchmarks: OpenAI-compatible /v1/chat/completions and Anthropic-compatible
/v1/messages on 127.0.0.1, with configurable latency, output length and streaming chunk rate.

Per request, the model name can carry the shape, ``<name>@<chunks>x<chunk ms>`` (as a gateway forwards it: it
forwards no client header), and headers override the defaults: ``x-bench-latency-ms`` (before the first byte),
``x-bench-chunks`` (output pieces), ``x-bench-chunk-ms`` (pause between streamed pieces).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time

from aiohttp import web


def _params(request: web.Request, body: dict[str, object]) -> tuple[float, int, float]:
    h = request.headers
    chunks, pause = "16", "0"
    shape = re.search(r"@(\d+)x(\d+(?:\.\d+)?)$", str(body.get("model", "")))
    if shape:
        chunks, pause = shape.groups()
    return (
        float(h.get("x-bench-latency-ms", 0)) / 1000,
        int(h.get("x-bench-chunks", chunks)),
        float(h.get("x-bench-chunk-ms", pause)) / 1000,
    )


async def openai(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    latency, chunks, pause = _params(request, body)
    await asyncio.sleep(latency)
    words = [f"word{i} " for i in range(chunks)]
    usage = {
        "prompt_tokens": 12,
        "completion_tokens": chunks,
        "total_tokens": 12 + chunks,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }
    base = {"id": "chatcmpl-bench", "created": int(time.time()), "model": body.get("model", "bench")}
    if not body.get("stream"):
        return web.json_response(
            {
                **base,
                "object": "chat.completion",
                "usage": usage,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(words)},
                        "finish_reason": "stop",
                    }
                ],
            }
        )
    response = web.StreamResponse(headers={"content-type": "text/event-stream"})
    await response.prepare(request)

    async def send(payload: dict[str, object]) -> None:
        await response.write(f"data: {json.dumps(payload)}\n\n".encode())

    chunk = {**base, "object": "chat.completion.chunk"}
    await send({**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
    for word in words:
        if pause:
            await asyncio.sleep(pause)
        await send({**chunk, "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]})
    await send({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    await send({**chunk, "choices": [], "usage": usage})
    await response.write(b"data: [DONE]\n\n")
    await response.write_eof()
    return response


async def anthropic(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    latency, chunks, _ = _params(request, body)
    await asyncio.sleep(latency)
    return web.json_response(
        {
            "id": "msg_bench",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "bench"),
            "content": [{"type": "text", "text": "".join(f"word{i} " for i in range(chunks))}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": chunks},
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", openai)
    app.router.add_post("/v1/messages", anthropic)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
