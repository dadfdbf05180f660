"""Provider name → adapter. Adding a provider: one module and one line here."""

from __future__ import annotations

from empirio.providers.anthropic import AnthropicProvider
from empirio.providers.base import Provider
from empirio.providers.local import LocalProvider
from empirio.providers.openai import OpenAIProvider

PROVIDERS: dict[str, Provider] = {
    "openai": OpenAIProvider(),
    "anthropic": AnthropicProvider(),
    "local": LocalProvider(),
}


def provider_for(name: str) -> Provider:
    if name == "bedrock" and name not in PROVIDERS:
        from empirio.providers.bedrock import BedrockProvider  # boto3's bedrock-runtime only when needed

        PROVIDERS["bedrock"] = BedrockProvider()
    return PROVIDERS[name]
