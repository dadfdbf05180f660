"""Amazon Bedrock's Converse and ConverseStream: canonical ⇄ Converse shapes (pure); calls go through
``bedrock_runtime`` (boto3, off the event loop)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from empirio.domain.canonical import (
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
)
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import EmbeddingRequest, ImageRequest, Images, VideoProgress, VideoRequest
from empirio.domain.tokens import count_text
from empirio.providers import bedrock_images, bedrock_runtime, bedrock_video
from empirio.providers.base import Embeddings, Options, UpstreamError, readable

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}


def _image(image: Image) -> dict[str, Any]:
    if not image.data:
        raise UpstreamError(400, "Bedrock models take inline (base64) images only, not image URLs.")
    fmt = (image.media_type or "image/png").split("/")[-1].replace("jpg", "jpeg")
    return {"image": {"format": fmt, "source": {"bytes": base64.b64decode(image.data)}}}


def _document(document: Document, index: int) -> dict[str, Any]:
    """Converse's document block: its name may hold only letters, digits, spaces, hyphens, parentheses and
    brackets (no consecutive spaces), so the filename is cleaned; the bytes go raw (boto3 encodes them)."""
    stem = (document.filename or f"document {index + 1}").rsplit(".", 1)[0]
    name = (
        re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9()\[\] -]", "-", stem)).strip()[:100]
        or f"document {index + 1}"
    )
    return {"document": {"format": "pdf", "name": name, "source": {"bytes": base64.b64decode(document.data)}}}


def _content(blocks: tuple[Block, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    documents = 0
    for b in blocks:
        if isinstance(b, Text) and b.text:
            out.append({"text": b.text})
        elif isinstance(b, Image):
            out.append(_image(b))
        elif isinstance(b, Document):
            out.append(_document(b, documents))
            documents += 1
        elif isinstance(b, ToolCall):
            arguments = b.arguments_object()
            out.append({"toolUse": {"toolUseId": b.id, "name": b.name, "input": arguments}})
        elif isinstance(b, ToolResult):
            inner = [{"text": x.text} for x in b.content if isinstance(x, Text)] or [{"text": ""}]
            out.append(
                {
                    "toolResult": {
                        "toolUseId": b.tool_call_id,
                        "content": inner,
                        "status": "error" if b.is_error else "success",
                    }
                }
            )
    if documents and not any("text" in block for block in out):
        out.append({"text": "See the attached document."})  # Converse requires text beside a document
    return out


def build(request: Request, model: CatalogModel, options: Options) -> dict[str, Any]:
    """Keyword arguments of ``converse`` / ``converse_stream``."""
    messages: list[dict[str, Any]] = []
    for m in request.messages:
        if m.role == "system":
            continue
        role = "assistant" if m.role == "assistant" else "user"
        content = _content(m.content)
        if not content:
            continue
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(content)
        else:
            messages.append({"role": role, "content": content})
    kwargs: dict[str, Any] = {"modelId": model.upstream_model, "messages": messages}
    config: dict[str, Any] = {"maxTokens": options.max_tokens}
    if request.temperature is not None:
        config["temperature"] = min(request.temperature, 1.0)
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop:
        config["stopSequences"] = list(request.stop)
    kwargs["inferenceConfig"] = config
    system = request.system_text()
    rf = request.response_format
    if rf and rf.schema:
        system = (
            f"{system}\n\nAnswer with JSON only, matching this JSON schema: {json.dumps(rf.schema)}".strip()
        )
    if system:
        kwargs["system"] = [{"text": system}]
    if request.tools:
        tool_config: dict[str, Any] = {
            "tools": [
                {
                    "toolSpec": {
                        "name": t.name,
                        "description": t.description or t.name,
                        "inputSchema": {"json": t.parameters},
                    }
                }
                for t in request.tools
            ]
        }
        tc = request.tool_choice
        if tc and tc.mode == "required":
            tool_config["toolChoice"] = {"any": {}}
        elif tc and tc.mode == "tool":
            tool_config["toolChoice"] = {"tool": {"name": tc.name}}
        if not (tc and tc.mode == "none"):
            kwargs["toolConfig"] = tool_config
    return kwargs


def parse_usage(raw: dict[str, Any] | None) -> TokenUsage:
    raw = raw or {}
    cached = int(raw.get("cacheReadInputTokens") or 0)
    return TokenUsage(
        input_tokens=int(raw.get("inputTokens") or 0) + cached,
        output_tokens=int(raw.get("outputTokens") or 0),
        cached_input_tokens=cached,
    )


def parse_response(payload: dict[str, Any]) -> Response:
    content: list[Block] = []
    for block in ((payload.get("output") or {}).get("message") or {}).get("content") or []:
        if "text" in block:
            content.append(Text(block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            content.append(
                ToolCall(use.get("toolUseId", ""), use.get("name", ""), json.dumps(use.get("input") or {}))
            )
        elif "reasoningContent" in block:
            text = block["reasoningContent"].get("reasoningText") or {}
            content.append(Thinking(text.get("text", ""), text.get("signature")))
    return Response(
        tuple(content),
        _FINISH.get(payload.get("stopReason") or "", "stop"),
        parse_usage(payload.get("usage")),
    )


@dataclass
class StreamParser:
    """ConverseStream events → canonical events."""

    block_tools: dict[int, int] = field(default_factory=dict)

    def feed(self, event: dict[str, Any]) -> list[Event]:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = (start.get("start") or {}).get("toolUse")
            if use:
                index = len(self.block_tools)
                self.block_tools[int(start.get("contentBlockIndex", 0))] = index
                return [ToolCallStart(index, use.get("toolUseId", ""), use.get("name", ""))]
            return []
        if "contentBlockDelta" in event:
            body = event["contentBlockDelta"]
            delta = body.get("delta") or {}
            if "text" in delta:
                return [TextDelta(delta["text"])]
            if "toolUse" in delta and int(body.get("contentBlockIndex", 0)) in self.block_tools:
                return [
                    ToolCallDelta(
                        self.block_tools[int(body["contentBlockIndex"])], delta["toolUse"].get("input", "")
                    )
                ]
            if "reasoningContent" in delta:
                rc = delta["reasoningContent"]
                return [ThinkingDelta(rc.get("text", ""), rc.get("signature"))]
            return []
        if "messageStop" in event:
            return [Finish(_FINISH.get(event["messageStop"].get("stopReason", ""), "stop"))]
        if "metadata" in event:
            return [UsageUpdate(parse_usage(event["metadata"].get("usage")))]
        return []


TITAN_DIMENSIONS = (256, 512, 1024)
EMBED_CONCURRENCY = 8  # Titan takes one text per call: a batch fans out, this many at a time


def titan_body(text: str, dimensions: int | None) -> dict[str, Any]:
    """Titan Text Embeddings V2's request for one input (its dimensions are 256, 512 or 1024)."""
    if dimensions is not None and dimensions not in TITAN_DIMENSIONS:
        raise UpstreamError(400, f"This model's dimensions are 256, 512 or 1024, not {dimensions}.")
    return {
        "inputText": text,
        "dimensions": dimensions or 1024,
        "normalize": True,
        "embeddingTypes": ["float"],
    }


def parse_titan(payload: dict[str, Any]) -> tuple[list[float], int]:
    vector = (payload.get("embeddingsByType") or {}).get("float") or payload["embedding"]
    return [float(x) for x in vector], int(payload.get("inputTextTokenCount") or 0)


COHERE_BATCH = 96  # texts a call
COHERE_V4_DIMENSIONS = (256, 512, 1024, 1536)


def cohere_body(texts: list[str], model: CatalogModel, dimensions: int | None) -> dict[str, Any]:
    """Cohere Embed (v3, v4): documents to be searched, floats; v4 takes an output dimension."""
    body: dict[str, Any] = {
        "texts": texts,
        "input_type": "search_document",
        "embedding_types": ["float"],
        "truncate": "NONE",
    }
    if dimensions is not None:
        if "embed-v4" not in model.upstream_model or dimensions not in COHERE_V4_DIMENSIONS:
            raise UpstreamError(400, f"{model.id} does not take dimensions={dimensions}.")
        body["output_dimension"] = dimensions
    return body


def parse_cohere(payload: dict[str, Any], expected: int) -> list[list[float]]:
    embeddings = payload["embeddings"]
    vectors = embeddings["float"] if isinstance(embeddings, dict) else embeddings
    if len(vectors) != expected:
        raise ValueError(f"{len(vectors)} embeddings for {expected} texts")
    return [[float(x) for x in vector] for vector in vectors]


class BedrockProvider:
    async def embed(self, request: EmbeddingRequest, model: CatalogModel) -> Embeddings:
        """Titan V2: one InvokeModel per input; Cohere: up to 96 texts a call, its tokens from Bedrock's
        input-token header (our count of the text when a model sends none). Token arrays are refused: both
        take text."""
        if any(not isinstance(i, str) for i in request.inputs):
            raise UpstreamError(400, f"{model.id} takes text inputs, not token arrays.")
        texts = [str(i) for i in request.inputs]
        if "cohere.embed" in model.upstream_model:
            return await self._cohere(texts, request, model)
        bodies = [titan_body(text, request.dimensions) for text in texts]
        gate = asyncio.Semaphore(EMBED_CONCURRENCY)

        async def one(body: dict[str, Any]) -> dict[str, Any]:
            async with gate:
                return await bedrock_runtime.invoke_json(
                    model.region, model.base_url, model.upstream_model, body
                )

        payloads = await asyncio.gather(*(one(b) for b in bodies))
        with readable():
            rows = [parse_titan(p) for p in payloads]
        return Embeddings([vector for vector, _ in rows], sum(tokens for _, tokens in rows))

    async def _cohere(self, texts: list[str], request: EmbeddingRequest, model: CatalogModel) -> Embeddings:
        batches = [texts[i : i + COHERE_BATCH] for i in range(0, len(texts), COHERE_BATCH)]
        answers = await asyncio.gather(
            *(
                bedrock_runtime.invoke(
                    model.region,
                    model.base_url,
                    model.upstream_model,
                    cohere_body(b, model, request.dimensions),
                )
                for b in batches
            )
        )
        vectors: list[list[float]] = []
        tokens = 0
        for batch, (payload, counted) in zip(batches, answers, strict=True):
            with readable():
                vectors += parse_cohere(payload, len(batch))
            tokens += counted if counted is not None else sum(count_text(t) for t in batch)
        return Embeddings(vectors, tokens)

    async def generate(self, request: ImageRequest, model: CatalogModel) -> Images:
        """Stability: one image a call, ``n`` calls at once; Amazon's models: ``n`` images in one call."""
        if bedrock_images.is_stability(model):
            body = bedrock_images.stability_body(request)
            payloads = await asyncio.gather(
                *(
                    bedrock_runtime.invoke_json(model.region, model.base_url, model.upstream_model, body)
                    for _ in range(request.n)
                )
            )
        else:
            body = bedrock_images.amazon_body(request)
            payloads = [
                await bedrock_runtime.invoke_json(model.region, model.base_url, model.upstream_model, body)
            ]
        with readable():
            return Images([image for payload in payloads for image in bedrock_images.parse(payload)])

    async def start_video(
        self, request: VideoRequest, model: CatalogModel, job_id: str, output_uri: str
    ) -> str:
        """StartAsyncInvoke, the result written under ``output_uri``; the reference keeps both."""
        arn = await bedrock_runtime.start_async_invoke(
            model.region,
            model.base_url,
            model.upstream_model,
            bedrock_video.model_input(request, model),
            output_uri,
            token=job_id.replace("_", "-"),  # its pattern allows letters, digits and hyphens
        )
        return json.dumps({"arn": arn, "output_uri": output_uri}, separators=(",", ":"))

    async def video_status(self, reference: str, model: CatalogModel) -> VideoProgress:
        job = json.loads(reference)
        payload = await bedrock_runtime.get_async_invoke(model.region, model.base_url, job["arn"])
        with readable():
            return bedrock_video.parse_status(payload, job["output_uri"])

    async def video_content(self, reference: str, model: CatalogModel) -> bytes:
        raise UpstreamError(502, "Bedrock keeps a video's result in S3, where the job wrote it.")

    async def complete(self, request: Request, model: CatalogModel, options: Options) -> Response:
        payload = await bedrock_runtime.converse(
            model.region, model.base_url, build(request, model, options), options.retry
        )
        with readable():
            return parse_response(payload)

    async def stream(self, request: Request, model: CatalogModel, options: Options) -> AsyncIterator[Event]:
        parser = StreamParser()
        async for event in bedrock_runtime.converse_stream(
            model.region, model.base_url, build(request, model, options), options.retry
        ):
            with readable():
                items = parser.feed(event)
            for item in items:
                yield item
