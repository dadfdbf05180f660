"""``local/echo``: answers with the text of the last user message (or the last tool result), word by word when
streaming, with usage from a deterministic token count. It is priced like any model, so credits move.
With tools and ``tool_choice`` required (or naming a tool) it calls the first allowed tool with ``{}``; images in
the last user message are acknowledged after the text ("[image: image/png, 1,234 bytes]"). The upstream model
``echo-slow`` streams one word every 100 ms, for trying Stop and disconnects on a long answer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import math
import re
import struct
import zlib
from collections.abc import AsyncIterator
from fractions import Fraction

from empirio.domain import wav
from empirio.domain.canonical import (
    Block,
    Document,
    Event,
    Finish,
    Image,
    Request,
    Response,
    Text,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    ToolCallStart,
    ToolResult,
    UsageUpdate,
)
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import (
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
    dimensions,
)
from empirio.domain.tokens import count_text, estimate_prompt_tokens
from empirio.providers import local_video
from empirio.providers.base import Embeddings, Options, UpstreamError

PACE_SECONDS = {"echo": 0.0, "echo-slow": 0.1}  # between streamed words, by upstream model


def _image_note(image: Image) -> str:
    if image.data is not None:
        size = len(image.data) * 3 // 4 - image.data[-2:].count("=")
        return f"[image: {image.media_type or 'unknown type'}, {size:,} bytes]"
    return f"[image: {image.url}]"


def _echo(request: Request) -> str:
    for m in reversed(request.messages):
        images = [_image_note(b) for b in m.content if isinstance(b, Image)]
        images += [
            f"[document: {b.filename or b.media_type}, {len(b.data) * 3 // 4:,} bytes]"
            for b in m.content
            if isinstance(b, Document)
        ]
        if m.role == "user" and (m.text() or images):
            return " ".join([m.text(), *images]).strip()
        if m.role == "tool":
            texts = [
                x.text
                for r in m.content
                if isinstance(r, ToolResult)
                for x in r.content
                if isinstance(x, Text)
            ]
            if texts:
                return "\n".join(texts)
    return ""


def answer(request: Request, options: Options) -> Response:
    """The whole answer (pure): echo, cut to ``max_tokens`` tokens, or a tool call when one is required."""
    input_tokens = estimate_prompt_tokens(request)  # the same count admission holds for: hold = cost exactly
    tc = request.tool_choice
    if request.tools and tc and tc.mode in ("required", "tool"):
        name = tc.name if tc.mode == "tool" and tc.name else request.tools[0].name
        call = ToolCall(f"call_echo_{zlib.crc32(_echo(request).encode()):08x}", name, "{}")
        return Response((call,), "tool_calls", TokenUsage(input_tokens, count_text(name + "{}")))
    words = re.findall(r"\S+\s*", _echo(request))
    text, finish = "", "stop"
    for word in words:
        if count_text(text + word) > options.max_tokens:
            finish = "length"
            break
        text += word
    content: tuple[Block, ...] = (Text(text),)
    return Response(content, finish, TokenUsage(input_tokens, count_text(text)))  # type: ignore[arg-type]


LOCAL_DIMENSIONS = 256


def embed(request: EmbeddingRequest) -> Embeddings:
    """``local/embed`` (pure, deterministic): each input's vector comes from SHA-256 of its text in counter mode,
    unit length, ``dimensions`` long (default 256); tokens counted as for local/echo."""
    dimensions = request.dimensions or LOCAL_DIMENSIONS
    vectors, tokens = [], 0
    for item in request.inputs:
        text = item if isinstance(item, str) else " ".join(map(str, item))
        tokens += count_text(text) if isinstance(item, str) else len(item)
        raw = b"".join(hashlib.sha256(f"{n}:{text}".encode()).digest() for n in range((dimensions + 7) // 8))
        values = [int.from_bytes(raw[4 * i : 4 * i + 4], "little") / 2**31 - 1.0 for i in range(dimensions)]
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        vectors.append([v / norm for v in values])
    return Embeddings(vectors, tokens)


MAX_LOCAL_SIDE = 2048


def png(width: int, height: int, seed: bytes) -> bytes:
    """A real PNG (RGB, 8 bits): a vertical gradient between two colours taken from ``seed``."""
    top, bottom = seed[:3], seed[3:6]
    rows = []
    for y in range(height):
        t = y / max(1, height - 1)
        pixel = bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def images(request: ImageRequest, source: bytes = b"") -> Images:
    """``local/image`` (pure, deterministic): ``n`` PNGs of the requested size (at most 2048 a side), their
    colours from the prompt (and, for an edit, the images edited); always base64 (as GPT-image models answer)."""
    width, height = (min(MAX_LOCAL_SIDE, side) for side in dimensions(request.size))
    out = []
    for index in range(request.n):
        seed = hashlib.sha256(f"{index}:{request.prompt}".encode() + source).digest()
        out.append(GeneratedImage(b64_json=base64.b64encode(png(width, height, seed)).decode("ascii")))
    return Images(out)


SECONDS_PER_CHARACTER = Fraction(6, 100)  # about 150 words a minute


def speech_seconds(request: SpeechRequest) -> Fraction:
    """How long ``local/speech`` speaks ``input`` (at least half a second, shorter when faster)."""
    return max(
        Fraction(1, 2),
        SECONDS_PER_CHARACTER * len(request.input) / Fraction(request.speed).limit_denominator(100),
    )


def speak(request: SpeechRequest) -> Speech:
    """``local/speech`` (pure): a real WAV (or its raw PCM) whose length follows the text, the text in its comment."""
    if request.response_format not in (None, "wav", "pcm"):
        raise UpstreamError(400, "local/speech answers wav or pcm; ask for response_format 'wav'.")
    seconds = speech_seconds(request)
    audio = wav.build(seconds, request.input, tone_hz=180 + zlib.crc32(request.voice.encode()) % 200)
    info = wav.read(audio)
    assert info is not None
    if request.response_format == "pcm":
        return Speech(audio[audio.index(b"data") + 8 :], "audio/pcm", info.seconds)
    return Speech(audio, "audio/wav", info.seconds)


def transcribe(request: TranscriptionRequest) -> Transcript:
    """``local/transcribe`` (pure): reads a WAV's duration and answers with the text local/speech wrote into it
    (or a description of the audio)."""
    info = wav.read(request.file)
    if info is None:
        raise UpstreamError(400, "local/transcribe reads WAV files (16-bit PCM); send a .wav upload.")
    text = info.comment or f"({float(info.seconds):.2f} seconds of audio)"
    return Transcript(text=text, seconds=info.seconds)


class LocalProvider:
    async def speak(self, request: SpeechRequest, model: CatalogModel) -> Speech:
        return speak(request)

    async def transcribe(self, request: TranscriptionRequest, model: CatalogModel) -> Transcript:
        return transcribe(request)

    async def generate(self, request: ImageRequest, model: CatalogModel) -> Images:
        return images(request)

    async def edit(self, request: ImageEditRequest, model: CatalogModel) -> Images:
        source = hashlib.sha256(b"".join(i.content for i in request.images)).digest()
        return images(request.base, source)

    async def embed(self, request: EmbeddingRequest, model: CatalogModel) -> Embeddings:
        return embed(request)

    async def start_video(
        self, request: VideoRequest, model: CatalogModel, job_id: str, output_uri: str
    ) -> str:
        return local_video.start(request)

    async def video_status(self, reference: str, model: CatalogModel) -> VideoProgress:
        return local_video.status(reference)

    async def video_content(self, reference: str, model: CatalogModel) -> bytes:
        return local_video.content(reference)

    async def complete(self, request: Request, model: CatalogModel, options: Options) -> Response:
        return answer(request, options)

    async def stream(self, request: Request, model: CatalogModel, options: Options) -> AsyncIterator[Event]:
        response = answer(request, options)
        pace = PACE_SECONDS.get(model.upstream_model, 0.0)
        yield UsageUpdate(TokenUsage(input_tokens=response.usage.input_tokens))
        for index, block in enumerate(response.content):
            if isinstance(block, ToolCall):
                yield ToolCallStart(index, block.id, block.name)
                yield ToolCallDelta(index, block.arguments)
            elif isinstance(block, Text):
                for word in re.findall(r"\S+\s*", block.text):
                    yield TextDelta(word)
                    await asyncio.sleep(pace)
        yield Finish(response.finish_reason)
        yield UsageUpdate(response.usage)
