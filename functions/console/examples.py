"""Copyable example requests for a model page: curl, Python and TypeScript for each endpoint it serves (pure)."""

from __future__ import annotations

import json
from typing import Any

_KEY = "$EMPIRIO_API_KEY"


def _curl(base: str, endpoint: str, body: dict[str, Any], anthropic: bool = False) -> str:
    auth = (
        f'-H "x-api-key: {_KEY}" -H "anthropic-version: 2023-06-01"'
        if anthropic
        else f'-H "Authorization: Bearer {_KEY}"'
    )
    return (
        f'curl {base}{endpoint} \\\n  {auth} \\\n  -H "Content-Type: application/json" \\\n'
        f"  -d '{json.dumps(body, indent=2)}'"
    )


def _openai(base: str, call: str, ts_call: str) -> tuple[str, str]:
    python = (
        "import os\nfrom openai import OpenAI\n\n"
        f'client = OpenAI(base_url="{base}/v1", api_key=os.environ["EMPIRIO_API_KEY"])\n{call}'
    )
    typescript = (
        'import OpenAI from "openai";\n\n'
        f'const client = new OpenAI({{ baseURL: "{base}/v1", apiKey: process.env.EMPIRIO_API_KEY }});\n{ts_call}'
    )
    return python, typescript


def examples(model_id: str, endpoints: tuple[str, ...] | list[str], base: str) -> list[dict[str, str]]:
    """One example per endpoint the model serves; ``base`` is the API's origin and prefix (no ``/v1``)."""
    out = []
    m = json.dumps(model_id)
    for endpoint in endpoints:
        if endpoint == "/v1/chat/completions":
            body: dict[str, Any] = {"model": model_id, "messages": [{"role": "user", "content": "Hello!"}]}
            python, ts = _openai(
                base,
                f'reply = client.chat.completions.create(model={m}, messages=[{{"role": "user", '
                '"content": "Hello!"}])\nprint(reply.choices[0].message.content)',
                f'const reply = await client.chat.completions.create({{ model: {m}, messages: [{{ role: "user", '
                'content: "Hello!" }] });\nconsole.log(reply.choices[0].message.content);',
            )
        elif endpoint == "/v1/responses":
            body = {"model": model_id, "input": "Hello!"}
            python, ts = _openai(
                base,
                f'reply = client.responses.create(model={m}, input="Hello!")\nprint(reply.output_text)',
                f'const reply = await client.responses.create({{ model: {m}, input: "Hello!" }});\n'
                "console.log(reply.output_text);",
            )
        elif endpoint == "/v1/messages":
            body = {"model": model_id, "max_tokens": 256, "messages": [{"role": "user", "content": "Hello!"}]}
            python = (
                "import os\nfrom anthropic import Anthropic\n\n"
                f'client = Anthropic(base_url="{base}", api_key=os.environ["EMPIRIO_API_KEY"])\n'
                f'reply = client.messages.create(model={m}, max_tokens=256, messages=[{{"role": "user", '
                '"content": "Hello!"}])\nprint(reply.content[0].text)'
            )
            ts = (
                'import Anthropic from "@anthropic-ai/sdk";\n\n'
                f'const client = new Anthropic({{ baseURL: "{base}", apiKey: process.env.EMPIRIO_API_KEY }});\n'
                f"const reply = await client.messages.create({{ model: {m}, max_tokens: 256, messages: "
                '[{ role: "user", content: "Hello!" }] });\n'
                "// content is a list of blocks; print the text ones\n"
                'console.log(reply.content.filter((block) => block.type === "text")'
                '.map((block) => block.text).join(""));'
            )
            out.append(
                {
                    "endpoint": endpoint,
                    "curl": _curl(base, endpoint, body, True),
                    "python": python,
                    "typescript": ts,
                }
            )
            continue
        elif endpoint == "/v1/embeddings":
            body = {"model": model_id, "input": "Hello!"}
            python, ts = _openai(
                base,
                f'result = client.embeddings.create(model={m}, input="Hello!")\nprint(len(result.data[0].embedding))',
                f'const result = await client.embeddings.create({{ model: {m}, input: "Hello!" }});\n'
                "console.log(result.data[0].embedding.length);",
            )
        elif endpoint == "/v1/images/generations":
            body = {"model": model_id, "prompt": "A lighthouse at dawn", "size": "1024x1024"}
            python, ts = _openai(
                base,
                f'image = client.images.generate(model={m}, prompt="A lighthouse at dawn")\nprint(image.data[0])',
                f'const image = await client.images.generate({{ model: {m}, prompt: "A lighthouse at dawn" }});\n'
                "console.log(image.data[0]);",
            )
        elif endpoint == "/v1/audio/speech":
            body = {"model": model_id, "input": "Hello!", "voice": "alloy"}
            python, ts = _openai(
                base,
                f'audio = client.audio.speech.create(model={m}, voice="alloy", input="Hello!")\n'
                'audio.write_to_file("hello.mp3")',
                f'const audio = await client.audio.speech.create({{ model: {m}, voice: "alloy", '
                'input: "Hello!" });',
            )
        elif endpoint == "/v1/audio/transcriptions":
            body = {"model": model_id, "file": "@speech.mp3"}
            python, ts = _openai(
                base,
                f'text = client.audio.transcriptions.create(model={m}, file=open("speech.mp3", "rb"))\n'
                "print(text.text)",
                'import fs from "node:fs";\n'
                f"const text = await client.audio.transcriptions.create({{ model: {m}, "
                'file: fs.createReadStream("speech.mp3") });',
            )
        else:
            body = {"model": model_id, "prompt": "A lighthouse at dawn"}
            python, ts = _openai(
                base,
                f'video = client.videos.create(model={m}, prompt="A lighthouse at dawn")\nprint(video.id)',
                f'const video = await client.videos.create({{ model: {m}, prompt: "A lighthouse at dawn" }});',
            )
        out.append(
            {"endpoint": endpoint, "curl": _curl(base, endpoint, body), "python": python, "typescript": ts}
        )
    return out
