"""A fake upstream speaking the real OpenAI, Anthropic and Bedrock wire formats over real HTTP (aiohttp, on
127.0.0.1), replaying the recorded fixtures beside this file. It checks what it is sent the way the real APIs do
(a malformed upstream request gets a 400) and records every request for assertions.

Scenarios by upstream model name: ``fail-429``, ``fail-500``, ``fail-400``, ``slow`` (pauses between chunks),
``cut`` (the connection drops mid-stream), ``truncated`` (the stream ends cleanly before its final events),
``garbage`` (unparseable JSON), ``html`` (a web page instead of JSON or SSE), ``trickle`` (alive but barely:
a comment or a byte every 200 ms). Requests with tools get the tool-call fixture; requests asking for
JSON get the text fixture with a JSON answer in it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.videos import FakeVideos

FIXTURES = Path(__file__).parent / "fixtures"
JSON_ANSWER = '{"city": "Boston", "temperature_c": 21}'


def fixture(name: str) -> Any:
    path = FIXTURES / name
    if name.endswith(".sse"):
        return path.read_text()
    data = json.loads(path.read_text())
    data.pop("_source", None)
    return data


def sse_messages(text: str) -> list[str]:
    """The recorded SSE split into messages (comments, which name the source, dropped)."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    out = []
    for block in blocks:
        lines = [line for line in block.splitlines() if not line.startswith(":")]
        if lines:
            out.append("\n".join(lines) + "\n\n")
    return out


def eventstream_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One AWS event-stream message (the binary framing of Bedrock's ConverseStream)."""
    headers = b""
    for name, value in (
        (":event-type", event_type),
        (":content-type", "application/json"),
        (":message-type", "event"),
    ):
        raw_name, raw_value = name.encode(), value.encode()
        headers += (
            struct.pack("!B", len(raw_name))
            + raw_name
            + b"\x07"
            + struct.pack("!H", len(raw_value))
            + raw_value
        )
    body = json.dumps(payload).encode()
    total = 12 + len(headers) + len(body) + 4
    prelude = struct.pack("!II", total, len(headers))
    prelude += struct.pack("!I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + body
    return message + struct.pack("!I", zlib.crc32(message) & 0xFFFFFFFF)


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    return web.json_response({"error": {"message": message, "type": kind}}, status=status)


@dataclass
class FakeUpstream(FakeVideos):
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread = field(init=False)

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> str:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            app = web.Application(client_max_size=32 * 1024 * 1024)
            app.router.add_post("/openai/v1/chat/completions", self.openai)
            app.router.add_post("/openai/v1/embeddings", self.openai_embeddings)
            app.router.add_post("/openai/v1/images/generations", self.openai_images)
            app.router.add_post("/openai/v1/audio/transcriptions", self.openai_transcriptions)
            app.router.add_post("/openai/v1/audio/speech", self.openai_speech)
            app.router.add_post("/openai/v1/images/edits", self.openai_image_edits)
            app.router.add_post("/anthropic/v1/messages", self.anthropic)
            app.router.add_post("/bedrock/model/{model_id}/converse", self.bedrock)
            app.router.add_post("/bedrock/model/{model_id}/converse-stream", self.bedrock_stream)
            app.router.add_post("/bedrock/model/{model_id}/invoke", self.bedrock_invoke)
            self.video_routes(app)
            app.router.add_post("/polly/v1/speech", self.polly_speech)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="fake-upstream", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.base_url

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    @staticmethod
    def fixture(name: str) -> Any:
        return fixture(name)

    def last(self, path_part: str) -> dict[str, Any]:
        return next(r for r in reversed(self.requests) if path_part in r["path"])

    # -- shared ----------------------------------------------------------------------------------------------
    async def _record(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": body})
        return dict(body)

    @staticmethod
    def _failure(model: str) -> web.Response | None:
        if model == "fail-429":
            return web.json_response(
                {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
                status=429,
                headers={"retry-after": "7"},
            )
        if model == "fail-500":
            return _error(500, "The server had an error while processing your request.", "server_error")
        if model == "fail-503":
            return _error(503, "The engine is currently overloaded, please try again later.", "server_error")
        if model == "fail-400":
            return _error(400, "Invalid 'messages': unsupported content.")
        return None

    @staticmethod
    async def _hang(model: str) -> None:
        if model == "hang":
            await asyncio.sleep(3)

    async def _stream(
        self, request: web.Request, chunks: list[bytes], model: str, content_type: str = "text/event-stream"
    ) -> web.StreamResponse:
        if model == "html":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        response = web.StreamResponse(headers={"content-type": content_type})
        await response.prepare(request)
        for i, chunk in enumerate(chunks):
            if i == len(chunks) // 2:
                if model == "cut":
                    assert request.transport is not None
                    request.transport.close()  # the upstream dies mid-stream
                    return response
                if model == "truncated":
                    break  # a clean end, before the final events
                if model == "garbage":
                    await response.write(b'data: {"choices": [{"delta": {"content": "x"\n\n')
                if model == "trickle":  # alive but never finishing: a comment every 200 ms
                    for _ in range(40):
                        await response.write(b": ping\n\n")
                        await asyncio.sleep(0.2)
            await response.write(chunk)
            if model == "slow":
                await asyncio.sleep(0.05)
        await response.write_eof()
        return response

    @staticmethod
    async def _fault(request: web.Request, model: str) -> web.StreamResponse | None:
        """Buffered answers gone wrong: unparseable JSON, an HTML page, a body trickling in."""
        if model in ("garbage", "truncated"):
            return web.Response(
                text='{"id": "chatcmpl-1", "choices": [{"mess', content_type="application/json"
            )
        if model == "html":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if model == "trickle":
            response = web.StreamResponse(headers={"content-type": "application/json"})
            await response.prepare(request)
            for byte in b'{"id": "chatcmpl-1", "choices": []}':
                await response.write(bytes([byte]))
                await asyncio.sleep(0.2)
            await response.write_eof()
            return response
        return None

    # -- OpenAI ----------------------------------------------------------------------------------------------
    async def openai(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "You didn't provide an API key.")
        if not isinstance(body.get("messages"), list) or not body["messages"] or not body.get("model"):
            return _error(400, "'messages' and 'model' are required.")
        if not (body.get("max_tokens") or body.get("max_completion_tokens")):
            return _error(400, "the gateway always sets an output cap")
        if (failure := self._failure(body["model"])) is not None:
            return failure
        await self._hang(body["model"])
        if not body.get("stream") and (fault := await self._fault(request, body["model"])) is not None:
            return fault
        tools = bool(body.get("tools")) and body.get("tool_choice") != "none"
        wants_json = bool(body.get("response_format"))
        if body.get("stream"):
            if not (body.get("stream_options") or {}).get("include_usage"):
                return _error(400, "the gateway must ask for stream usage")
            messages = sse_messages(fixture("openai_chat_tool.sse" if tools else "openai_chat_text.sse"))
            if wants_json and not tools:
                messages = [
                    m.replace("Hello!", JSON_ANSWER.replace('"', '\\"'))
                    .replace(" How can I assist", "")
                    .replace(" you today?", "")
                    for m in messages
                ]
            if body["model"] == "surrogate":  # half of an emoji's surrogate pair, as a JSON escape
                messages = [m.replace("Hello!", "Hello \\ud83d") for m in messages]
            return await self._stream(request, [m.encode() for m in messages], body["model"])
        payload = copy.deepcopy(fixture("openai_chat_tool.json" if tools else "openai_chat_text.json"))
        if wants_json and not tools:
            payload["choices"][0]["message"]["content"] = JSON_ANSWER
        if body["model"] == "surrogate":
            payload["choices"][0]["message"]["content"] = "Hello \ud83d"  # sent as the escape \ud83d
        return web.json_response(payload)

    async def openai_embeddings(self, request: web.Request) -> web.StreamResponse:
        """The recorded answer, one row per input (its vector cut or repeated to ``dimensions``), and the
        recorded token count per input."""
        body = await self._record(request)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "You didn't provide an API key.")
        inputs = body.get("input")
        if not body.get("model") or inputs in (None, "", []):
            return _error(400, "'input' and 'model' are required.")
        if body.get("encoding_format") != "float":
            return _error(400, "the gateway asks for floats and encodes them itself")
        if (failure := self._failure(body["model"])) is not None:
            return failure
        batch = (
            inputs if isinstance(inputs, list) and not all(isinstance(i, int) for i in inputs) else [inputs]
        )
        payload = copy.deepcopy(fixture("openai_embeddings.json"))
        row = payload["data"][0]
        vector = row["embedding"]
        if body.get("dimensions"):
            vector = [vector[i % len(vector)] for i in range(body["dimensions"])]
        payload["data"] = [{**row, "index": i, "embedding": vector} for i in range(len(batch))]
        payload["model"] = body["model"]
        tokens = payload["usage"]["prompt_tokens"] * len(batch)
        payload["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return web.json_response(payload)

    async def openai_images(self, request: web.Request) -> web.StreamResponse:
        """GPT-image: the recorded base64 answer and usage, per image; dall-e-*: URLs and no usage."""
        body = await self._record(request)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "You didn't provide an API key.")
        if not body.get("model") or not body.get("prompt"):
            return _error(400, "'prompt' and 'model' are required.")
        if (failure := self._failure(body["model"])) is not None:
            return failure
        n = int(body.get("n", 1))
        if str(body["model"]).startswith("dall-e"):
            rows = [
                {"url": f"{self.base_url}/files/img-{i}.png", "revised_prompt": body["prompt"]}
                for i in range(n)
            ]
            return web.json_response({"created": 1713833628, "data": rows})
        payload = copy.deepcopy(fixture("openai_images.json"))
        payload["data"] = payload["data"] * n
        payload["usage"] = {k: v * n if isinstance(v, int) else v for k, v in payload["usage"].items()}
        return web.json_response(payload)

    async def openai_speech(self, request: web.Request) -> web.StreamResponse:
        """stream_format "sse": the recorded audio deltas and the done event with usage."""
        body = await self._record(request)
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "You didn't provide an API key.")
        if not body.get("input") or not body.get("voice") or not body.get("model"):
            return _error(400, "'model', 'input' and 'voice' are required.")
        if body.get("stream_format") != "sse":
            return _error(400, "the gateway asks for sse, which carries usage")
        if (failure := self._failure(body["model"])) is not None:
            return failure
        return await self._stream(
            request, [m.encode() for m in sse_messages(fixture("openai_speech.sse"))], body["model"]
        )

    async def _multipart(self, request: web.Request) -> dict[str, Any] | web.Response:
        """A multipart upload recorded as its fields, each file as {filename, content_type, bytes}."""
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "You didn't provide an API key.")
        if not request.content_type.startswith("multipart/form-data"):
            return _error(400, "This endpoint takes multipart/form-data.")
        fields: dict[str, Any] = {}
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                fields[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "bytes": len(content),
                }
            else:
                fields[name] = str(value)
        self.requests.append({"path": request.path, "headers": dict(request.headers), "body": fields})
        return fields

    async def openai_image_edits(self, request: web.Request) -> web.StreamResponse:
        fields = await self._multipart(request)
        if isinstance(fields, web.Response):
            return fields
        if not any(name.startswith("image") for name in fields) or not fields.get("prompt"):
            return _error(400, "'image' and 'prompt' are required.")
        payload = copy.deepcopy(fixture("openai_images.json"))
        n = int(fields.get("n", 1))
        payload["data"] = payload["data"] * n
        payload["usage"] = {k: v * n if isinstance(v, int) else v for k, v in payload["usage"].items()}
        return web.json_response(payload)

    async def openai_transcriptions(self, request: web.Request) -> web.StreamResponse:
        """A multipart upload, as OpenAI takes it: the recorded verbose_json answer (with usage in seconds)."""
        fields = await self._multipart(request)
        if isinstance(fields, web.Response):
            return fields
        if "file" not in fields or not fields.get("model"):
            return _error(400, "'file' and 'model' are required.")
        if (failure := self._failure(str(fields["model"]))) is not None:
            return failure
        return web.json_response(fixture("openai_transcription_verbose.json"))

    # -- Anthropic -------------------------------------------------------------------------------------------
    async def anthropic(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not request.headers.get("x-api-key") or not request.headers.get("anthropic-version"):
            return _error(401, "x-api-key and anthropic-version are required")
        messages = body.get("messages")
        if not isinstance(body.get("max_tokens"), int) or not isinstance(messages, list) or not messages:
            return _error(400, "max_tokens and messages are required")
        roles = [m["role"] for m in messages]
        if roles[0] != "user" or any(a == b for a, b in itertools.pairwise(roles)):
            return _error(400, "messages: roles must alternate, starting with user")
        if (failure := self._failure(body["model"])) is not None:
            return failure
        if not body.get("stream") and (fault := await self._fault(request, body["model"])) is not None:
            return fault
        tools = bool(body.get("tools"))
        wants_json = "JSON" in str(body.get("system", ""))
        if body.get("stream"):
            messages_sse = sse_messages(fixture("anthropic_tool.sse" if tools else "anthropic_text.sse"))
            if wants_json and not tools:
                messages_sse = [
                    m.replace('"Hello!"', json.dumps(JSON_ANSWER)).replace(" How can I assist you today?", "")
                    for m in messages_sse
                ]
            return await self._stream(request, [m.encode() for m in messages_sse], body["model"])
        payload = copy.deepcopy(fixture("anthropic_tool.json" if tools else "anthropic_text.json"))
        if wants_json and not tools:
            payload["content"][0]["text"] = JSON_ANSWER
        return web.json_response(payload)

    # -- Bedrock ---------------------------------------------------------------------------------------------
    async def _bedrock_body(self, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
        body = await self._record(request)
        model = request.match_info["model_id"]
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return body, _error(403, "missing SigV4 signature")
        for message in body.get("messages") or []:
            blocks = message.get("content") or []
            if any("document" in b for b in blocks) and not any("text" in b for b in blocks):
                return body, web.json_response(
                    {"message": "A conversation must have a text block beside a document."},
                    status=400,
                    headers={"x-amzn-errortype": "ValidationException"},
                )
        if not body.get("messages") or not (body.get("inferenceConfig") or {}).get("maxTokens"):
            return body, web.json_response(
                {"message": "messages and inferenceConfig.maxTokens are required"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        if model == "fail-429":
            return body, web.json_response(
                {"message": "Too many requests"},
                status=429,
                headers={"x-amzn-errortype": "ThrottlingException"},
            )
        if model == "fail-400":
            return body, web.json_response(
                {"message": "The model returned the following errors: bad input"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        if model == "fail-500":
            return body, web.json_response(
                {"message": "internal"}, status=500, headers={"x-amzn-errortype": "InternalServerException"}
            )
        if model == "fail-503":
            return body, web.json_response(
                {"message": "unavailable"},
                status=503,
                headers={"x-amzn-errortype": "ServiceUnavailableException"},
            )
        return body, None

    async def bedrock(self, request: web.Request) -> web.Response:
        body, failure = await self._bedrock_body(request)
        if failure is not None:
            return failure
        tools = bool(body.get("toolConfig"))
        payload = copy.deepcopy(fixture("bedrock_tool.json" if tools else "bedrock_text.json"))
        if not tools and "JSON" in json.dumps(body.get("system", "")):
            payload["output"]["message"]["content"][0]["text"] = JSON_ANSWER
        return web.json_response(payload)

    async def bedrock_invoke(self, request: web.Request) -> web.Response:
        """InvokeModel: Titan Text Embeddings V2 (the recorded answer, cut to the asked dimensions), Cohere Embed
        (a vector per text, tokens in the header) and Stability's image models (one image; the prompt
        "filtered" is refused as Stability's filter refuses)."""
        body = await self._record(request)
        model = request.match_info["model_id"]
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return _error(403, "missing SigV4 signature")
        if model == "fail-500":
            return web.json_response(
                {"message": "internal"}, status=500, headers={"x-amzn-errortype": "InternalServerException"}
            )
        if "cohere.embed" in model:
            return self._cohere(body)
        if "stability." in model:
            return self._stability(body)
        if not isinstance(body.get("inputText"), str) or body.get("dimensions") not in (256, 512, 1024):
            return web.json_response(
                {"message": "inputText and dimensions (256, 512, 1024) are required"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        payload = copy.deepcopy(fixture("bedrock_titan_embed.json"))
        vector = payload["embedding"]
        vector = [vector[i % len(vector)] for i in range(body["dimensions"])]
        payload.update(embedding=vector, embeddingsByType={"float": vector})
        return web.json_response(payload)

    @staticmethod
    def _invalid(message: str) -> web.Response:
        return web.json_response(
            {"message": message}, status=400, headers={"x-amzn-errortype": "ValidationException"}
        )

    def _cohere(self, body: dict[str, Any]) -> web.Response:
        texts = body.get("texts")
        if not isinstance(texts, list) or not texts or len(texts) > 96 or not body.get("input_type"):
            return self._invalid("texts (1 to 96) and input_type are required")
        payload = copy.deepcopy(fixture("bedrock_cohere_embed.json"))
        vector = payload["embeddings"]["float"][0]
        size = int(body.get("output_dimension") or 1024)
        payload["embeddings"]["float"] = [[vector[i % len(vector)] for i in range(size)] for _ in texts]
        payload["texts"] = texts
        tokens = sum(len(str(t).split()) + 1 for t in texts)
        return web.json_response(payload, headers={"x-amzn-bedrock-input-token-count": str(tokens)})

    def _stability(self, body: dict[str, Any]) -> web.Response:
        if not body.get("prompt") or body.get("aspect_ratio") not in (
            "1:1",
            "16:9",
            "9:16",
            "21:9",
            "9:21",
            "3:2",
            "2:3",
            "5:4",
            "4:5",
        ):
            return self._invalid("prompt and a known aspect_ratio are required")
        payload = copy.deepcopy(fixture("bedrock_stability_image.json"))
        if "filtered" in str(body["prompt"]):
            payload["finish_reasons"] = ["Filter reason: prompt"]
        return web.json_response(payload)

    async def polly_speech(self, request: web.Request) -> web.Response:
        """Polly's SynthesizeSpeech: 16 kHz PCM (or bytes standing for MP3) of 50 ms a character, and the billed
        characters in x-amzn-RequestCharacters."""
        body = await self._record(request)
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return _error(403, "missing SigV4 signature")
        text, fmt, engine = body.get("Text"), body.get("OutputFormat"), body.get("Engine")
        if (
            not text
            or fmt not in ("mp3", "ogg_opus", "pcm")
            or engine not in ("standard", "neural", "long-form", "generative")
        ):
            return web.json_response(
                {"message": "Text, OutputFormat and Engine are required"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        if body.get("VoiceId") not in ("Joanna", "Matthew", "Ruth", "Stephen", "Danielle"):
            return web.json_response(
                {"message": "Voice is not available"},
                status=400,
                headers={"x-amzn-errortype": "ValidationException"},
            )
        samples = 16_000 * len(text) // 20
        audio = bytes(2 * samples) if fmt == "pcm" else b"ID3" + bytes(len(text) * 40)
        content_type = {"pcm": "audio/pcm", "mp3": "audio/mpeg", "ogg_opus": "audio/ogg"}[fmt]
        return web.Response(
            body=audio, content_type=content_type, headers={"x-amzn-RequestCharacters": str(len(text))}
        )

    async def bedrock_stream(self, request: web.Request) -> web.StreamResponse:
        body, failure = await self._bedrock_body(request)
        if failure is not None:
            return failure
        tools = bool(body.get("toolConfig"))
        events = fixture("bedrock_tool.events.json" if tools else "bedrock_text.events.json")["events"]
        if not tools and "JSON" in json.dumps(body.get("system", "")):
            events = [
                {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": JSON_ANSWER}}}
                if "contentBlockDelta" in e
                else e
                for e in events
            ]
            events = [e for i, e in enumerate(events) if "contentBlockDelta" not in e or i == 1]
        chunks = [eventstream_message(next(iter(e)), e[next(iter(e))]) for e in events]
        return await self._stream(
            request, chunks, request.match_info["model_id"], content_type="application/vnd.amazon.eventstream"
        )
