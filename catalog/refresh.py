"""Refresh catalog/models.json from LiteLLM's model cost map (`make catalog`): the prices, context and output
limits and shutdown dates of every entry listed in SOURCES below, each read from the map entry named beside it
(the map cites the provider's pricing page per entry; SOURCES.md lists them). Entries not listed here (local
models, ones whose facts come from elsewhere) are left as they are. Run it, read the diff, commit both."""

from __future__ import annotations

import datetime
import importlib.util
import json
import sys
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).with_name("models.json")
SOURCES_MD = Path(__file__).with_name("SOURCES.md")
MARK = "<!-- make catalog: generated from here to the next mark -->"
CHAT = ["/v1/chat/completions", "/v1/responses", "/v1/messages"]
CHAT_PARAMS = [
    "max_tokens",
    "stream",
    "tools",
    "tool_choice",
    "response_format",
    "temperature",
    "seed",
    "user",
]

# provider key → (our provider, id prefix, base_url, api_key_env, region)
UPSTREAMS: dict[str, tuple[str, str, str | None, str | None, str]] = {
    "openai": ("openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "us"),
    "anthropic": ("anthropic", "anthropic", None, "ANTHROPIC_API_KEY", "us"),
    "gemini": (
        "openai",
        "google",
        "https://generativelanguage.googleapis.com/v1beta/openai",
        "GEMINI_API_KEY",
        "us",
    ),
    "mistral": ("openai", "mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "eu"),
    "xai": ("openai", "xai", "https://api.x.ai/v1", "XAI_API_KEY", "us"),
    "groq": ("openai", "groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "us"),
    "deepseek": ("openai", "deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY", "cn"),
    "bedrock": ("bedrock", "bedrock", None, None, "us-east-1"),
    "aws_polly": ("polly", "aws", None, None, "us-east-1"),
}

# (our id, upstream, map key, name); the upstream model id is what the provider is called with.
SOURCES: list[tuple[str, str, str, str]] = [
    # OpenAI
    ("openai/gpt-6.1-sol", "gpt-6.1-sol", "gpt-6.1-sol", "GPT-6.1 Sol"),
    ("openai/gpt-6.1-terra", "gpt-6.1-terra", "gpt-6.1-terra", "GPT-6.1 Terra"),
    ("openai/gpt-6-sol", "gpt-6-sol", "gpt-6-sol", "GPT-6 Sol"),
    ("openai/gpt-6-luna", "gpt-6-luna", "gpt-6-luna", "GPT-6 Luna"),
    ("openai/gpt-6-astra", "gpt-6-astra", "gpt-6-astra", "GPT-6 Astra"),
    ("openai/gpt-5.6", "gpt-5.6", "gpt-5.6", "GPT-5.6"),
    ("openai/gpt-5.6-terra", "gpt-5.6-terra", "gpt-5.6-terra", "GPT-5.6 Terra"),
    ("openai/gpt-5.6-luna", "gpt-5.6-luna", "gpt-5.6-luna", "GPT-5.6 Luna"),
    ("openai/gpt-5.5", "gpt-5.5", "gpt-5.5", "GPT-5.5"),
    ("openai/gpt-5.4", "gpt-5.4", "gpt-5.4", "GPT-5.4"),
    ("openai/gpt-5.4-mini", "gpt-5.4-mini", "gpt-5.4-mini", "GPT-5.4 mini"),
    ("openai/gpt-5.4-nano", "gpt-5.4-nano", "gpt-5.4-nano", "GPT-5.4 nano"),
    ("openai/gpt-5.2", "gpt-5.2", "gpt-5.2", "GPT-5.2"),
    ("openai/gpt-5.1", "gpt-5.1", "gpt-5.1", "GPT-5.1"),
    ("openai/gpt-5", "gpt-5", "gpt-5", "GPT-5"),
    ("openai/gpt-5-mini", "gpt-5-mini", "gpt-5-mini", "GPT-5 mini"),
    ("openai/gpt-5-nano", "gpt-5-nano", "gpt-5-nano", "GPT-5 nano"),
    ("openai/chat-latest", "chat-latest", "chat-latest", "ChatGPT latest"),
    ("openai/gpt-4.1", "gpt-4.1", "gpt-4.1", "GPT-4.1"),
    ("openai/gpt-4.1-mini", "gpt-4.1-mini", "gpt-4.1-mini", "GPT-4.1 mini"),
    ("openai/gpt-4o", "gpt-4o", "gpt-4o", "GPT-4o"),
    ("openai/gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", "GPT-4o mini"),
    ("openai/o3", "o3", "o3", "o3"),
    ("openai/o4-mini", "o4-mini", "o4-mini", "o4-mini"),
    ("openai/gpt-image-2", "gpt-image-2", "gpt-image-2", "GPT Image 2"),
    (
        "openai/gpt-image-2.6-sunburst",
        "gpt-image-2.6-sunburst",
        "gpt-image-2.6-sunburst",
        "GPT Image 2.6 Sunburst",
    ),
    ("openai/gpt-image-2.6-flare", "gpt-image-2.6-flare", "gpt-image-2.6-flare", "GPT Image 2.6 Flare"),
    ("openai/gpt-image-1", "gpt-image-1", "gpt-image-1", "GPT Image 1"),
    (
        "openai/text-embedding-3-small",
        "text-embedding-3-small",
        "text-embedding-3-small",
        "text-embedding-3-small",
    ),
    (
        "openai/text-embedding-3-large",
        "text-embedding-3-large",
        "text-embedding-3-large",
        "text-embedding-3-large",
    ),
    (
        "openai/text-embedding-ada-002",
        "text-embedding-ada-002",
        "text-embedding-ada-002",
        "text-embedding-ada-002",
    ),
    ("openai/gpt-transcribe", "gpt-transcribe", "gpt-transcribe", "GPT Transcribe"),
    ("openai/gpt-4o-transcribe", "gpt-4o-transcribe", "gpt-4o-transcribe", "GPT-4o Transcribe"),
    (
        "openai/gpt-4o-mini-transcribe",
        "gpt-4o-mini-transcribe",
        "gpt-4o-mini-transcribe",
        "GPT-4o mini Transcribe",
    ),
    ("openai/whisper-1", "whisper-1", "whisper-1", "Whisper"),
    # Anthropic
    ("anthropic/claude-opus-5", "claude-opus-5", "claude-opus-5", "Claude Opus 5"),
    ("anthropic/claude-opus-5-5", "claude-opus-5-5", "claude-opus-5-5", "Claude Opus 5.5"),
    ("anthropic/claude-sonnet-5", "claude-sonnet-5", "claude-sonnet-5", "Claude Sonnet 5"),
    ("anthropic/claude-sonnet-5-5", "claude-sonnet-5-5", "claude-sonnet-5-5", "Claude Sonnet 5.5"),
    ("anthropic/claude-haiku-5-5", "claude-haiku-5-5", "claude-haiku-5-5", "Claude Haiku 5.5"),
    ("anthropic/claude-opus-4-8", "claude-opus-4-8", "claude-opus-4-8", "Claude Opus 4.8"),
    ("anthropic/claude-opus-4-7", "claude-opus-4-7-20260416", "claude-opus-4-7-20260416", "Claude Opus 4.7"),
    ("anthropic/claude-opus-4-6", "claude-opus-4-6-20260205", "claude-opus-4-6-20260205", "Claude Opus 4.6"),
    ("anthropic/claude-sonnet-4-6", "claude-sonnet-4-6", "claude-sonnet-4-6", "Claude Sonnet 4.6"),
    ("anthropic/claude-opus-4-5", "claude-opus-4-5-20251101", "claude-opus-4-5-20251101", "Claude Opus 4.5"),
    (
        "anthropic/claude-haiku-4-5",
        "claude-haiku-4-5-20251001",
        "claude-haiku-4-5-20251001",
        "Claude Haiku 4.5",
    ),
    ("anthropic/claude-fable-5-1", "claude-fable-5-1", "claude-fable-5-1", "Claude Fable 5.1"),
    ("anthropic/claude-mythos-5-1", "claude-mythos-5-1", "claude-mythos-5-1", "Claude Mythos 5.1"),
    # Google (Gemini API, OpenAI-compatible)
    ("google/gemini-pro-latest", "gemini-pro-latest", "gemini/gemini-pro-latest", "Gemini Pro (latest)"),
    (
        "google/gemini-flash-latest",
        "gemini-flash-latest",
        "gemini/gemini-flash-latest",
        "Gemini Flash (latest)",
    ),
    (
        "google/gemini-flash-lite-latest",
        "gemini-flash-lite-latest",
        "gemini/gemini-flash-lite-latest",
        "Gemini Flash-Lite (latest)",
    ),
    ("google/gemini-3.5-flash", "gemini-3.5-flash", "gemini/gemini-3.5-flash", "Gemini 3.5 Flash"),
    (
        "google/gemini-3.5-flash-lite",
        "gemini-3.5-flash-lite",
        "gemini/gemini-3.5-flash-lite",
        "Gemini 3.5 Flash-Lite",
    ),
    ("google/gemini-4-argon", "gemini-4-argon", "gemini/gemini-4-argon", "Gemini 4 Argon"),
    ("google/gemini-4-hydrogen", "gemini-4-hydrogen", "gemini/gemini-4-hydrogen", "Gemini 4 Hydrogen"),
    ("google/gemini-2.5-pro", "gemini-2.5-pro", "gemini/gemini-2.5-pro", "Gemini 2.5 Pro"),
    ("google/gemini-2.5-flash", "gemini-2.5-flash", "gemini/gemini-2.5-flash", "Gemini 2.5 Flash"),
    (
        "google/gemini-2.5-flash-lite",
        "gemini-2.5-flash-lite",
        "gemini/gemini-2.5-flash-lite",
        "Gemini 2.5 Flash-Lite",
    ),
    ("google/gemini-embedding-2", "gemini-embedding-2", "gemini/gemini-embedding-2", "Gemini Embedding 2"),
    (
        "google/gemini-embedding-001",
        "gemini-embedding-001",
        "gemini/gemini-embedding-001",
        "Gemini Embedding",
    ),
    (
        "google/imagen-3.0-generate-001",
        "imagen-3.0-generate-001",
        "gemini/imagen-3.0-generate-001",
        "Imagen 3",
    ),
    (
        "google/imagen-3.0-fast-generate-001",
        "imagen-3.0-fast-generate-001",
        "gemini/imagen-3.0-fast-generate-001",
        "Imagen 3 Fast",
    ),
    # Mistral
    ("mistral/mistral-large-latest", "mistral-large-latest", "mistral/mistral-large-latest", "Mistral Large"),
    ("mistral/mistral-large-4", "mistral-large-4-0", "mistral/mistral-large-4-0", "Mistral Large 4"),
    (
        "mistral/mistral-medium-latest",
        "mistral-medium-latest",
        "mistral/mistral-medium-latest",
        "Mistral Medium",
    ),
    ("mistral/mistral-small-latest", "mistral-small-latest", "mistral/mistral-small-latest", "Mistral Small"),
    ("mistral/ministral-14b-latest", "ministral-14b-latest", "mistral/ministral-14b-latest", "Ministral 14B"),
    ("mistral/ministral-8b-latest", "ministral-8b-latest", "mistral/ministral-8b-latest", "Ministral 8B"),
    ("mistral/ministral-3b-latest", "ministral-3b-latest", "mistral/ministral-3b-latest", "Ministral 3B"),
    (
        "mistral/magistral-medium-latest",
        "magistral-medium-latest",
        "mistral/magistral-medium-latest",
        "Magistral Medium",
    ),
    (
        "mistral/magistral-small-latest",
        "magistral-small-latest",
        "mistral/magistral-small-latest",
        "Magistral Small",
    ),
    ("mistral/devstral-latest", "devstral-latest", "mistral/devstral-latest", "Devstral"),
    (
        "mistral/devstral-small-latest",
        "devstral-small-latest",
        "mistral/devstral-small-latest",
        "Devstral Small",
    ),
    ("mistral/codestral-latest", "codestral-latest", "mistral/codestral-latest", "Codestral"),
    ("mistral/pixtral-large-latest", "pixtral-large-latest", "mistral/pixtral-large-latest", "Pixtral Large"),
    ("mistral/open-mistral-nemo", "open-mistral-nemo", "mistral/open-mistral-nemo", "Mistral NeMo"),
    ("mistral/mistral-embed", "mistral-embed", "mistral/mistral-embed", "Mistral Embed"),
    ("mistral/codestral-embed", "codestral-embed", "mistral/codestral-embed", "Codestral Embed"),
    (
        "mistral/voxtral-mini-transcribe",
        "voxtral-mini-latest",
        "mistral/voxtral-mini-latest",
        "Voxtral Mini Transcribe",
    ),
    (
        "mistral/voxtral-small-transcribe-3",
        "voxtral-small-transcribe-3",
        "mistral/voxtral-small-transcribe-3",
        "Voxtral Small Transcribe 3",
    ),
    # xAI
    ("xai/grok-4.7", "grok-4.7", "xai/grok-4.7", "Grok 4.7"),
    ("xai/grok-4.6", "grok-4.6", "xai/grok-4.6", "Grok 4.6"),
    ("xai/grok-4.5", "grok-4.5", "xai/grok-4.5", "Grok 4.5"),
    ("xai/grok-4.3", "grok-4.3", "xai/grok-4.3", "Grok 4.3"),
    ("xai/grok-4.20-reasoning", "grok-4.20-reasoning", "xai/grok-4.20-reasoning", "Grok 4.20 (reasoning)"),
    ("xai/grok-4.20-non-reasoning", "grok-4.20-non-reasoning", "xai/grok-4.20-non-reasoning", "Grok 4.20"),
    ("xai/grok-code-fast", "grok-code-fast", "xai/grok-code-fast", "Grok Code Fast"),
    # Groq
    ("groq/gpt-oss-120b", "openai/gpt-oss-120b", "groq/openai/gpt-oss-120b", "gpt-oss-120b (Groq)"),
    ("groq/gpt-oss-20b", "openai/gpt-oss-20b", "groq/openai/gpt-oss-20b", "gpt-oss-20b (Groq)"),
    ("groq/qwen3.8-27b", "qwen/qwen3.8-27b", "groq/qwen/qwen3.8-27b", "Qwen3.8 27B (Groq)"),
    ("groq/whisper-large-v3", "whisper-large-v3", "groq/whisper-large-v3", "Whisper large v3 (Groq)"),
    (
        "groq/whisper-large-v3-turbo",
        "whisper-large-v3-turbo",
        "groq/whisper-large-v3-turbo",
        "Whisper large v3 Turbo (Groq)",
    ),
    # DeepSeek
    ("deepseek/deepseek-v4-pro", "deepseek-v4-pro", "deepseek/deepseek-v4-pro", "DeepSeek V4 Pro"),
    ("deepseek/deepseek-v4-flash", "deepseek-v4-flash", "deepseek/deepseek-v4-flash", "DeepSeek V4 Flash"),
    ("deepseek/deepseek-chat", "deepseek-chat", "deepseek/deepseek-chat", "DeepSeek Chat"),
    ("deepseek/deepseek-reasoner", "deepseek-reasoner", "deepseek/deepseek-reasoner", "DeepSeek Reasoner"),
    # Amazon Bedrock (Converse; us. ids are cross-region inference profiles)
    (
        "bedrock/amazon.nova-2-lite-v1",
        "us.amazon.nova-2-lite-v1:0",
        "us.amazon.nova-2-lite-v1:0",
        "Amazon Nova 2 Lite",
    ),
    (
        "bedrock/amazon.nova-micro-v1",
        "us.amazon.nova-micro-v1:0",
        "us.amazon.nova-micro-v1:0",
        "Amazon Nova Micro",
    ),
    (
        "bedrock/amazon.nova-lite-v1",
        "us.amazon.nova-lite-v1:0",
        "us.amazon.nova-lite-v1:0",
        "Amazon Nova Lite",
    ),
    ("bedrock/amazon.nova-pro-v1", "us.amazon.nova-pro-v1:0", "us.amazon.nova-pro-v1:0", "Amazon Nova Pro"),
    (
        "bedrock/anthropic.claude-sonnet-4-5",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "Claude Sonnet 4.5 (Bedrock)",
    ),
    (
        "bedrock/anthropic.claude-haiku-4-5",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "Claude Haiku 4.5 (Bedrock)",
    ),
    (
        "bedrock/anthropic.claude-opus-4-5",
        "us.anthropic.claude-opus-4-5-20251101-v1:0",
        "us.anthropic.claude-opus-4-5-20251101-v1:0",
        "Claude Opus 4.5 (Bedrock)",
    ),
    (
        "bedrock/anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-sonnet-4-6",
        "us.anthropic.claude-sonnet-4-6",
        "Claude Sonnet 4.6 (Bedrock)",
    ),
    (
        "bedrock/anthropic.claude-opus-4-7",
        "us.anthropic.claude-opus-4-7",
        "us.anthropic.claude-opus-4-7",
        "Claude Opus 4.7 (Bedrock)",
    ),
    (
        "bedrock/anthropic.claude-sonnet-5",
        "us.anthropic.claude-sonnet-5",
        "us.anthropic.claude-sonnet-5",
        "Claude Sonnet 5 (Bedrock)",
    ),
    (
        "bedrock/openai.gpt-oss-120b",
        "openai.gpt-oss-120b-1:0",
        "openai.gpt-oss-120b-1:0",
        "gpt-oss-120b (Bedrock)",
    ),
    (
        "bedrock/openai.gpt-oss-20b",
        "openai.gpt-oss-20b-1:0",
        "openai.gpt-oss-20b-1:0",
        "gpt-oss-20b (Bedrock)",
    ),
    (
        "bedrock/meta.llama3-3-70b-instruct-v1",
        "us.meta.llama3-3-70b-instruct-v1:0",
        "us.meta.llama3-3-70b-instruct-v1:0",
        "Llama 3.3 70B Instruct",
    ),
    (
        "bedrock/meta.llama4-maverick-17b-instruct-v1",
        "us.meta.llama4-maverick-17b-instruct-v1:0",
        "us.meta.llama4-maverick-17b-instruct-v1:0",
        "Llama 4 Maverick 17B",
    ),
    (
        "bedrock/meta.llama4-scout-17b-instruct-v1",
        "us.meta.llama4-scout-17b-instruct-v1:0",
        "us.meta.llama4-scout-17b-instruct-v1:0",
        "Llama 4 Scout 17B",
    ),
    (
        "bedrock/mistral.pixtral-large-2502-v1",
        "us.mistral.pixtral-large-2502-v1:0",
        "us.mistral.pixtral-large-2502-v1:0",
        "Pixtral Large (Bedrock)",
    ),
    (
        "bedrock/mistral.mistral-large-3",
        "mistral.mistral-large-3-675b-instruct",
        "mistral.mistral-large-3-675b-instruct",
        "Mistral Large 3 (Bedrock)",
    ),
    (
        "bedrock/mistral.magistral-small-2509",
        "mistral.magistral-small-2509",
        "mistral.magistral-small-2509",
        "Magistral Small (Bedrock)",
    ),
    ("bedrock/deepseek.r1-v1", "us.deepseek.r1-v1:0", "us.deepseek.r1-v1:0", "DeepSeek-R1 (Bedrock)"),
    ("bedrock/deepseek.v3.2", "us.deepseek.v3.2", "us.deepseek.v3.2", "DeepSeek V3.2 (Bedrock)"),
    (
        "bedrock/qwen.qwen3-235b-a22b-2507",
        "qwen.qwen3-235b-a22b-2507-v1:0",
        "qwen.qwen3-235b-a22b-2507-v1:0",
        "Qwen3 235B A22B",
    ),
    ("bedrock/qwen.qwen3-32b", "qwen.qwen3-32b-v1:0", "qwen.qwen3-32b-v1:0", "Qwen3 32B"),
    ("bedrock/moonshotai.kimi-k2.5", "moonshotai.kimi-k2.5", "moonshotai.kimi-k2.5", "Kimi K2.5"),
    ("bedrock/zai.glm-5", "zai.glm-5", "zai.glm-5", "GLM-5"),
    ("bedrock/minimax.minimax-m2.5", "minimax.minimax-m2.5", "minimax.minimax-m2.5", "MiniMax M2.5"),
    (
        "bedrock/nvidia.nemotron-super-3-120b",
        "nvidia.nemotron-super-3-120b",
        "nvidia.nemotron-super-3-120b",
        "Nemotron Super 3 120B",
    ),
    ("bedrock/writer.palmyra-x5-v1", "us.writer.palmyra-x5-v1:0", "us.writer.palmyra-x5-v1:0", "Palmyra X5"),
    (
        "bedrock/amazon.titan-embed-text-v2",
        "amazon.titan-embed-text-v2:0",
        "amazon.titan-embed-text-v2:0",
        "Titan Text Embeddings V2",
    ),
    ("bedrock/cohere.embed-v4", "us.cohere.embed-v4:0", "us.cohere.embed-v4:0", "Cohere Embed v4"),
    (
        "bedrock/cohere.embed-english-v3",
        "cohere.embed-english-v3",
        "cohere.embed-english-v3",
        "Cohere Embed English v3",
    ),
    (
        "bedrock/cohere.embed-multilingual-v3",
        "cohere.embed-multilingual-v3",
        "cohere.embed-multilingual-v3",
        "Cohere Embed Multilingual v3",
    ),
    (
        "bedrock/stability.stable-image-core-v1",
        "stability.stable-image-core-v1:1",
        "stability.stable-image-core-v1:1",
        "Stable Image Core",
    ),
    (
        "bedrock/stability.sd3-5-large-v1",
        "stability.sd3-5-large-v1:0",
        "stability.sd3-5-large-v1:0",
        "Stable Diffusion 3.5 Large",
    ),
    (
        "bedrock/stability.stable-image-ultra-v1",
        "stability.stable-image-ultra-v1:1",
        "stability.stable-image-ultra-v1:1",
        "Stable Image Ultra",
    ),
    (
        "bedrock/amazon.nova-canvas-v1",
        "amazon.nova-canvas-v1:0",
        "amazon.nova-canvas-v1:0",
        "Amazon Nova Canvas",
    ),
    # Amazon Polly (the engine is the model; priced per million characters, charged as one-character tokens)
    ("aws/polly-standard", "standard", "aws_polly/standard", "Amazon Polly (standard)"),
    ("aws/polly-neural", "neural", "aws_polly/neural", "Amazon Polly (neural)"),
    ("aws/polly-long-form", "long-form", "aws_polly/long-form", "Amazon Polly (long-form)"),
    ("aws/polly-generative", "generative", "aws_polly/generative", "Amazon Polly (generative)"),
]

# Our suggestion where the map names no successor for a retired model.
REPLACEMENTS = {
    "bedrock/amazon.nova-canvas-v1": "bedrock/stability.stable-image-core-v1",
    "deepseek/deepseek-chat": "deepseek/deepseek-v4-flash",
    "deepseek/deepseek-reasoner": "deepseek/deepseek-v4-pro",
    "google/gemini-2.5-pro": "google/gemini-pro-latest",
}

ENDPOINTS_BY_MODE = {
    "chat": CHAT,
    "embedding": ["/v1/embeddings"],
    "image_generation": ["/v1/images/generations"],
    "audio_transcription": ["/v1/audio/transcriptions"],
    "audio_speech": ["/v1/audio/speech"],
    "video_generation": ["/v1/videos"],
}


def _money(value: Decimal) -> str:
    """Exact, and at least to the cent ("2.50", "0.075")."""
    value = value.normalize()
    return format(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value, "f")  # type: ignore[operator]


def _per_million(value: float | None) -> str | None:
    return None if value is None else _money(Decimal(str(value)) * 1_000_000)


def _exact(value: float | None) -> str | None:
    return None if value is None else _money(Decimal(str(value)))


def _pricing(entry: dict[str, Any]) -> dict[str, str]:
    mode = entry.get("mode")
    out: dict[str, str | None] = {}
    if mode in ("chat", "embedding", "image_generation"):
        out["input_per_mtok"] = _per_million(entry.get("input_cost_per_token"))
        output = entry.get("output_cost_per_image_token") or entry.get("output_cost_per_token")
        out["output_per_mtok"] = _per_million(output) if output else None
        out["cached_input_per_mtok"] = _per_million(entry.get("cache_read_input_token_cost"))
    if mode == "image_generation":
        out["per_image"] = _exact(entry.get("output_cost_per_image"))
    if mode == "audio_transcription":
        out = {"per_audio_second": _exact(entry.get("input_cost_per_second"))}
    if mode == "audio_speech" and entry.get("input_cost_per_character"):
        out = {"input_per_mtok": _per_million(entry["input_cost_per_character"])}
    if mode == "video_generation":
        out = {"per_video_second": _exact(entry.get("output_cost_per_second"))}
    return {unit: value for unit, value in out.items() if value is not None}


def _modalities(entry: dict[str, Any]) -> dict[str, list[str]]:
    mode = entry["mode"]
    if mode == "embedding":
        return {"input": ["text"], "output": ["embedding"]}
    if mode == "image_generation":
        return {"input": ["text", "image"] if entry.get("supports_vision") else ["text"], "output": ["image"]}
    if mode == "audio_transcription":
        return {"input": ["audio"], "output": ["text"]}
    if mode == "audio_speech":
        return {"input": ["text"], "output": ["audio"]}
    inputs = ["text"]
    inputs += ["image"] if entry.get("supports_vision") else []
    # audio only where it is priced as text: a dearer audio token would be charged at the text rate
    audio_rate = entry.get("input_cost_per_audio_token")
    same_rate = audio_rate is None or audio_rate == entry.get("input_cost_per_token")
    inputs += ["audio"] if entry.get("supports_audio_input") and same_rate else []
    inputs += ["document"] if entry.get("supports_pdf_input") else []
    return {"input": inputs, "output": ["text"]}


def _limits(entry: dict[str, Any], previous: dict[str, Any]) -> tuple[int, int]:
    mode = entry["mode"]
    context = entry.get("max_input_tokens") or previous.get("context_window")
    if (
        mode == "image_generation" and (context or 0) < 1_000
    ):  # a diffusion model's CLIP window, not a limit here
        context = None
    output = entry.get("max_output_tokens") or previous.get("max_output_tokens")
    defaults = {
        "embedding": (8192, 1),
        "image_generation": (32_000, 8_192),
        "audio_transcription": (16_000, 2_000),
        "audio_speech": (3_000, 1),
    }
    fallback = defaults.get(mode, (128_000, 8_192))
    return int(context or fallback[0]), int(output or fallback[1])


def build(
    model_id: str, upstream: str, entry: dict[str, Any], name: str, previous: dict[str, Any]
) -> dict[str, Any]:
    provider_key = "bedrock" if entry["litellm_provider"].startswith("bedrock") else entry["litellm_provider"]
    provider, _, base_url, key_env, region = UPSTREAMS[provider_key]
    context, output = _limits(entry, previous)
    endpoints = list(ENDPOINTS_BY_MODE[entry["mode"]])
    if "/v1/images/edits" in (entry.get("supported_endpoints") or []):
        endpoints.append("/v1/images/edits")
    model: dict[str, Any] = {
        "id": model_id,
        "name": name,
        "provider": provider,
        "upstream_model": upstream,
        **({"base_url": base_url} if base_url else {}),
        **({"api_key_env": key_env} if key_env else {}),
        "pricing": _pricing(entry),
        "context_window": context,
        "max_output_tokens": output,
        "region": region,
        "modalities": previous.get("modalities") or _modalities(entry),
        "supported_parameters": previous.get("supported_parameters")
        or (CHAT_PARAMS if entry["mode"] == "chat" else []),
        "endpoints": previous.get("endpoints") or endpoints,
    }
    for kept in ("aliases", "replacement"):
        if previous.get(kept):
            model[kept] = previous[kept]
    if entry.get("deprecation_date"):
        model["retires_on"] = entry["deprecation_date"]
    return model


def _replacement(entry: dict[str, Any], upstreams: dict[str, str]) -> str | None:
    """Our id of the map's successor model, when we list it."""
    successor = entry.get("successor_model")
    return upstreams.get(str(successor).split("/")[-1]) if successor else None


def _sources_section(rows: list[tuple[str, str, str]], version: str, today: str) -> str:
    by_source: dict[str, list[str]] = {}
    for model_id, key, source in rows:
        by_source.setdefault(source or f"LiteLLM map entry {key} (no page named)", []).append(model_id)
    lines = [
        MARK,
        f"Read {today} from LiteLLM's model cost map (litellm {version}, "
        "`model_prices_and_context_window_backup.json`) by `make catalog`, which names the provider page of "
        "each entry; prices, limits and shutdown dates below come from it:",
        "",
        "| provider page | models |",
        "|---|---|",
    ]
    lines += [f"| {source} | {', '.join(sorted(ids))} |" for source, ids in sorted(by_source.items())]
    return "\n".join([*lines, MARK, ""])


def refresh(today: str) -> None:
    spec = importlib.util.find_spec("litellm")  # found, not imported (importing it fetches the map online)
    assert spec is not None and spec.submodule_search_locations, "make catalog needs the dev dependencies"
    package = Path(next(iter(spec.submodule_search_locations)))
    cost_map = json.loads((package / "model_prices_and_context_window_backup.json").read_text())
    catalog = json.loads(CATALOG.read_text())
    by_id = {m["id"]: m for m in catalog["models"]}
    upstreams = {upstream.split("/")[-1]: model_id for model_id, upstream, _, _ in SOURCES}
    rows = []
    for model_id, upstream, key, name in SOURCES:
        entry = cost_map[key]
        model = build(model_id, upstream, entry, name, by_id.get(model_id, {}))
        if (replacement := _replacement(entry, upstreams) or REPLACEMENTS.get(model_id)) is not None:
            model["replacement"] = replacement
        by_id[model_id] = model
        rows.append((model_id, key, str(entry.get("source") or "")))
    catalog["version"] = today
    catalog["models"] = sorted(by_id.values(), key=lambda m: (m["provider"] == "local", m["id"]))
    CATALOG.write_text(json.dumps(catalog, indent=2) + "\n")
    notes = SOURCES_MD.read_text()
    head, _, rest = notes.partition(MARK)
    _, _, tail = rest.partition(MARK)
    section = _sources_section(rows, metadata.version("litellm"), today)
    SOURCES_MD.write_text(head + section + tail.lstrip("\n"))


if __name__ == "__main__":
    refresh(sys.argv[1] if len(sys.argv) > 1 else datetime.date.today().isoformat())
