"""Provider name → adapter. Adding a provider: one module and one line here."""

from __future__ import annotations

from empirio.providers.anthropic import AnthropicProvider
from empirio.providers.base import Embedder, ImageGenerator, Provider, SpeechSynthesizer, Transcriber
from empirio.providers.local import LocalProvider
from empirio.providers.openai import OpenAIProvider

PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "anthropic": AnthropicProvider(),
    "local": LocalProvider(),
}


def embedder_for(name: str) -> Embedder | None:
    """The provider's embeddings, if it serves them (others are refused before anything is held)."""
    provider = provider_for(name) if name in PROVIDERS or name == "bedrock" else None
    return provider if isinstance(provider, Embedder) else None


def image_generator_for(name: str) -> ImageGenerator | None:
    provider = provider_for(name) if name in PROVIDERS or name == "bedrock" else None
    return provider if isinstance(provider, ImageGenerator) else None


def synthesizer_for(name: str) -> SpeechSynthesizer | None:
    provider = provider_for(name) if name in PROVIDERS or name == "bedrock" else None
    return provider if isinstance(provider, SpeechSynthesizer) else None


def transcriber_for(name: str) -> Transcriber | None:
    provider = provider_for(name) if name in PROVIDERS or name == "bedrock" else None
    return provider if isinstance(provider, Transcriber) else None


def provider_for(name: str) -> Provider:
    if name == "bedrock" and name not in PROVIDERS:
        from empirio.providers.bedrock import BedrockProvider  # boto3's bedrock-runtime only when needed

        PROVIDERS["bedrock"] = BedrockProvider()
    return PROVIDERS[name]
