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
ADAPTERS: dict[str, object] = {}  # providers that serve no chat endpoint (Polly: speech only)


LAZY = ("bedrock", "polly")  # boto3 clients: imported only when a model of theirs is called


def capability(name: str, kind: type[T]) -> T | None:
    """The provider's adapter when it offers ``kind`` (a runtime-checkable protocol of providers.base, such as
    Embedder or Transcriber), else None."""
    if name not in PROVIDERS and name not in LAZY:
        return None
    provider = _adapter(name)
    return provider if isinstance(provider, kind) else None


def _adapter(name: str) -> object:
    if name == "bedrock" and name not in PROVIDERS:
        from empirio.providers.bedrock import BedrockProvider

        PROVIDERS["bedrock"] = BedrockProvider()
    if name == "polly" and name not in ADAPTERS:
        from empirio.providers.polly import PollyProvider

        ADAPTERS["polly"] = PollyProvider()
    return ADAPTERS.get(name) or PROVIDERS[name]


def provider_for(name: str) -> Provider:
    """A chat provider (every provider but the speech-only ones: GET /v1/models never lists those for chat)."""
    _adapter(name)
    return PROVIDERS[name]
