"""Provider name → adapter. Adding a provider: one module and one line here."""

from __future__ import annotations

from typing import TypeVar

from empirio.providers.anthropic import AnthropicProvider
from empirio.providers.base import Provider
from empirio.providers.local import LocalProvider
from empirio.providers.openai import OpenAIProvider

T = TypeVar("T")
PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "anthropic": AnthropicProvider(),
    "local": LocalProvider(),
}


def capability(name: str, kind: type[T]) -> T | None:
    """The provider's adapter when it offers ``kind`` (a runtime-checkable protocol of providers.base, such as
    Embedder or Transcriber), else None."""
    if name not in PROVIDERS and name != "bedrock":
        return None
    provider = provider_for(name)
    return provider if isinstance(provider, kind) else None


def provider_for(name: str) -> Provider:
    if name == "bedrock" and name not in PROVIDERS:
        from empirio.providers.bedrock import BedrockProvider  # boto3's bedrock-runtime only when needed

        PROVIDERS["bedrock"] = BedrockProvider()
    return PROVIDERS[name]
