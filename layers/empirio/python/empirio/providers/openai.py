"""Any OpenAI-compatible upstream (Chat Completions): canonical ⇄ OpenAI wire, buffered and streamed."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from empirio.domain import wav
from empirio.domain.canonical import (
    Audio,
    Block,
    Document,
    Event,
    Finish,
    FinishReason,
    Image,
    Request,
    Response,
    Text,
    TextDelta,
    Thinking,
    ThinkingDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolResult,
    UsageUpdate,
    document_data_url,
    image_data_url,
)
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import (
    SPEECH_FORMATS,
    EmbeddingRequest,
    GeneratedImage,
    ImageEditRequest,
    ImageRequest,
    Images,
    Speech,
    SpeechRequest,
    Transcript,
    TranscriptionRequest,
    VideoProgress,
    VideoRequest,
)
from empirio.providers import openai_videos, transport
from empirio.providers.base import Embeddings, Options, UpstreamCall, UpstreamError, readable
from empirio.providers.credentials import api_key

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def _content(blocks: tuple[Block, ...]) -> str | list[dict[str, Any]]:
    if all(isinstance(b, Text) for b in blocks):
        return "".join(b.text for b in blocks if isinstance(b, Text))
    parts: list[dict[str, Any]] = []
    for b in blocks:
        if isinstance(b, Text):
            parts.append({"type": "text", "text": b.text})
        elif isinstance(b, Image):
            parts.append({"type": "image_url", "image_url": {"url": image_data_url(b)}})
        elif isinstance(b, Document):
            name = b.filename or "document.pdf"
            parts.append({"type": "file", "file": {"filename": name, "file_data": document_data_url(b)}})
        elif isinstance(b, Audio):
            parts.append({"type": "input_audio", "input_audio": {"data": b.data, "format": b.format}})
    return parts


def _messages(request: Request) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "tool":
            for r in m.content:
                if isinstance(r, ToolResult):
                    out.append(
                        {"role": "tool", "tool_call_id": r.tool_call_id, "content": _content(r.content) or ""}
                    )
            continue
        entry: dict[str, Any] = {
            "role": m.role,
            "content": _content(
                tuple(b for b in m.content if isinstance(b, Text | Image | Document | Audio))
            ),
        }
        calls = [b for b in m.content if isinstance(b, ToolCall)]
        if calls:
            entry["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in calls
            ]
            entry["content"] = entry["content"] or None
        out.append(entry)
    return out


def build(request: Request, model: CatalogModel, options: Options, stream: bool) -> UpstreamCall:
    """The upstream request. ``stream_options.include_usage`` is always asked for, so streams report usage."""
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    body: dict[str, Any] = {"model": model.upstream_model, "messages": _messages(request)}
    # OpenAI's own reasoning models only take max_completion_tokens; compatible servers mostly know max_tokens.
    body["max_completion_tokens" if base == DEFAULT_BASE_URL else "max_tokens"] = options.max_tokens
    for name in ("temperature", "top_p", "user"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    if request.stop:
        body["stop"] = list(request.stop)
    if request.reasoning_effort and "reasoning" in model.supported_parameters:
        body["reasoning_effort"] = request.reasoning_effort
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
            }
            for t in request.tools
        ]
    if request.tool_choice:
        tc = request.tool_choice
        body["tool_choice"] = (
            {"type": "function", "function": {"name": tc.name}} if tc.mode == "tool" else tc.mode
        )
    rf = request.response_format
    if rf and rf.type == "json_schema":
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": rf.name, "schema": rf.schema, "strict": rf.strict},
        }
    elif rf and rf.type == "json_object":
        body["response_format"] = {"type": "json_object"}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    key = options.credentials.get("api_key") or api_key(model)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return UpstreamCall(f"{base}/chat/completions", headers, body)


def parse_usage(raw: dict[str, Any] | None) -> TokenUsage:
    raw = raw or {}
    return TokenUsage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cached_input_tokens=int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0),
        reasoning_tokens=int((raw.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0),
    )


def parse_response(payload: dict[str, Any]) -> Response:
    choice = (payload.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Block] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append(Thinking(reasoning))
    if message.get("content"):
        content.append(Text(message["content"]))
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        content.append(ToolCall(call.get("id") or "", fn.get("name") or "", fn.get("arguments") or "{}"))
    finish = _FINISH.get(
        choice.get("finish_reason") or "", "tool_calls" if message.get("tool_calls") else "stop"
    )
    return Response(tuple(content), finish, parse_usage(payload.get("usage")), payload.get("id"))


@dataclass
class ChunkParser:
    """``chat.completion.chunk`` messages → canonical events."""

    seen_calls: set[int] = field(default_factory=set)

    def feed(self, event: str | None, data: str) -> list[Event]:
        if data.strip() == "[DONE]":
            return []
        chunk = json.loads(data)
        out: list[Event] = []
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                out.append(ThinkingDelta(reasoning))
            if delta.get("content"):
                out.append(TextDelta(delta["content"]))
            for call in delta.get("tool_calls") or []:
                index = int(call.get("index", 0))
                fn = call.get("function") or {}
                if index not in self.seen_calls:
                    self.seen_calls.add(index)
                    out.append(ToolCallStart(index, call.get("id") or f"call_{index}", fn.get("name") or ""))
                if fn.get("arguments"):
                    out.append(ToolCallDelta(index, fn["arguments"]))
            if choice.get("finish_reason"):
                out.append(Finish(_FINISH.get(choice["finish_reason"], "stop")))
        if chunk.get("usage"):
            out.append(UsageUpdate(parse_usage(chunk["usage"])))
        return out


def wire_input(request: EmbeddingRequest) -> str | list[Any]:
    """The inputs as OpenAI-compatible upstreams take them: one text as a string, else an array of texts and
    token arrays."""
    if len(request.inputs) == 1 and isinstance(request.inputs[0], str):
        return request.inputs[0]
    return [i if isinstance(i, str) else list(i) for i in request.inputs]


def build_embeddings(request: EmbeddingRequest, model: CatalogModel) -> UpstreamCall:
    """``POST /embeddings``: always asked for floats (our answer encodes them as the client asked)."""
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    body: dict[str, Any] = {
        "model": model.upstream_model,
        "input": wire_input(request),
        "encoding_format": "float",
    }
    if request.dimensions is not None:
        body["dimensions"] = request.dimensions
    if request.user:
        body["user"] = request.user
    key = api_key(model)
    return UpstreamCall(f"{base}/embeddings", {"Authorization": f"Bearer {key}"} if key else {}, body)


def parse_embeddings(payload: dict[str, Any], expected: int) -> Embeddings:
    rows = sorted(payload["data"], key=lambda row: int(row["index"]))
    vectors = [[float(x) for x in row["embedding"]] for row in rows]
    if len(vectors) != expected:
        raise ValueError(f"{len(vectors)} embeddings for {expected} inputs")
    usage = payload.get("usage") or {}
    return Embeddings(vectors, int(usage.get("prompt_tokens") or usage.get("total_tokens") or 0))


def build_images(request: ImageRequest, model: CatalogModel) -> UpstreamCall:
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    body: dict[str, Any] = {"model": model.upstream_model, "prompt": request.prompt, "n": request.n}
    for name in ("size", "quality", "response_format", "output_format", "background", "style", "user"):
        if getattr(request, name) is not None:
            body[name] = getattr(request, name)
    key = api_key(model)
    return UpstreamCall(f"{base}/images/generations", {"Authorization": f"Bearer {key}"} if key else {}, body)


def build_image_edit(request: ImageEditRequest, model: CatalogModel) -> UpstreamCall:
    """``POST /images/edits``, multipart: the fields of a generation, ``image`` (or ``image[]`` for several) and
    ``mask``."""
    generation = build_images(request.base, model)
    fields = dict(generation.body)
    if request.input_fidelity:
        fields["input_fidelity"] = request.input_fidelity
    name = "image" if len(request.images) == 1 else "image[]"
    files = tuple((name, i.filename, i.content, i.content_type) for i in request.images)
    if request.mask is not None:
        files += (("mask", request.mask.filename, request.mask.content, request.mask.content_type),)
    url = generation.url.removesuffix("/generations") + "/edits"
    return UpstreamCall(url, generation.headers, fields, files)


def parse_images(payload: dict[str, Any]) -> Images:
    images = [
        GeneratedImage(
            b64_json=row.get("b64_json"), url=row.get("url"), revised_prompt=row.get("revised_prompt")
        )
        for row in payload["data"]
    ]
    if any(image.b64_json is None and image.url is None for image in images):
        raise ValueError("an image without data")
    usage = payload.get("usage")
    if not isinstance(usage, dict):
        return Images(images)
    return Images(images, int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0), True)


def build_transcription(request: TranscriptionRequest, model: CatalogModel) -> UpstreamCall:
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    fields: dict[str, Any] = {"model": model.upstream_model, "response_format": "verbose_json"}
    for name in ("language", "prompt", "temperature"):
        if getattr(request, name) is not None:
            fields[name] = getattr(request, name)
    key = api_key(model)
    files = (("file", request.filename, request.file, request.content_type),)
    return UpstreamCall(
        f"{base}/audio/transcriptions", {"Authorization": f"Bearer {key}"} if key else {}, fields, files
    )


def parse_transcription(payload: dict[str, Any], measured: Fraction | None) -> Transcript:
    """verbose_json (always asked for, so the duration is known): the upstream's billed seconds, else its
    duration, else what we measured."""
    usage = payload.get("usage") or {}
    if usage.get("type") == "duration" and usage.get("seconds") is not None:
        seconds = Fraction(str(usage["seconds"]))
    elif payload.get("duration") is not None:
        seconds = Fraction(str(payload["duration"]))
    elif measured is not None:
        seconds = measured
    else:
        raise ValueError("no duration")
    return Transcript(
        text=str(payload["text"]),
        seconds=seconds,
        language=str(payload.get("language") or "english"),
        segments=list(payload.get("segments") or []),
    )


def build_speech(request: SpeechRequest, model: CatalogModel) -> UpstreamCall:
    """``POST /audio/speech`` as server-sent events: the only form whose answer reports usage."""
    base = (model.base_url or DEFAULT_BASE_URL).rstrip("/")
    body: dict[str, Any] = {
        "model": model.upstream_model,
        "input": request.input,
        "voice": request.voice,
        "response_format": request.response_format or "mp3",
        "speed": request.speed,
        "stream_format": "sse",
    }
    if request.instructions:
        body["instructions"] = request.instructions
    key = api_key(model)
    return UpstreamCall(f"{base}/audio/speech", {"Authorization": f"Bearer {key}"} if key else {}, body)


class OpenAIProvider:
    async def speak(self, request: SpeechRequest, model: CatalogModel) -> Speech:
        """The audio deltas joined (the client gets bytes, as from a plain call) and the done event's usage."""
        chunks: list[bytes] = []
        usage: dict[str, Any] | None = None
        async for _, data in transport.stream_sse(build_speech(request, model)):
            with readable():
                event = json.loads(data)
                if event.get("type") == "speech.audio.delta":
                    chunks.append(base64.b64decode(event["audio"]))
                elif event.get("type") == "speech.audio.done":
                    usage = event.get("usage") or {}
        if usage is None:
            raise UpstreamError(502, "The upstream provider ended the speech before it was done.")
        audio = b"".join(chunks)
        fmt = request.response_format or "mp3"
        info = wav.read(audio) if fmt == "wav" else None
        return Speech(
            audio,
            SPEECH_FORMATS[fmt],
            info.seconds if info else None,
            int(usage.get("input_tokens") or 0),
            int(usage.get("output_tokens") or 0),
        )

    async def transcribe(self, request: TranscriptionRequest, model: CatalogModel) -> Transcript:
        payload = await transport.call_json(build_transcription(request, model))
        info = wav.read(request.file)
        with readable():
            return parse_transcription(payload, info.seconds if info else None)

    async def generate(self, request: ImageRequest, model: CatalogModel) -> Images:
        payload = await transport.call_json(build_images(request, model))
        with readable():
            return parse_images(payload)

    async def edit(self, request: ImageEditRequest, model: CatalogModel) -> Images:
        payload = await transport.call_json(build_image_edit(request, model))
        with readable():
            return parse_images(payload)

    async def embed(self, request: EmbeddingRequest, model: CatalogModel) -> Embeddings:
        payload = await transport.call_json(build_embeddings(request, model))
        with readable():
            return parse_embeddings(payload, len(request.inputs))

    async def start_video(
        self, request: VideoRequest, model: CatalogModel, job_id: str, output_uri: str
    ) -> str:
        payload = await transport.call_json(openai_videos.build_create(request, model))
        with readable():
            return openai_videos.parse_created(payload)

    async def video_status(self, reference: str, model: CatalogModel) -> VideoProgress:
        payload = await transport.call_json(openai_videos.build_status(reference, model))
        with readable():
            return openai_videos.parse_status(payload)

    async def video_content(self, reference: str, model: CatalogModel) -> bytes:
        return await transport.get_bytes(openai_videos.build_content(reference, model))

    async def complete(self, request: Request, model: CatalogModel, options: Options) -> Response:
        payload = await transport.call_json(
            build(request, model, options, stream=False), transport.Timeouts.for_options(options)
        )
        with readable():
            return parse_response(payload)

    async def stream(self, request: Request, model: CatalogModel, options: Options) -> AsyncIterator[Event]:
        parser = ChunkParser()
        async for event, data in transport.stream_sse(
            build(request, model, options, stream=True), transport.Timeouts.for_options(options)
        ):
            with readable():
                items = parser.feed(event, data)
            for item in items:
                yield item
