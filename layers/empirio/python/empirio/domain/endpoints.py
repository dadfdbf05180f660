"""Which endpoints this gateway serves through which provider (pure). A catalog entry may name endpoints that no
adapter of ours speaks yet: those are not listed by GET /v1/models, and calling them is a 400. The table is
checked against the provider adapters' capabilities in tests (it exists so that reading the catalog does not
import every adapter)."""

from __future__ import annotations

CHAT_ENDPOINTS = ("/v1/chat/completions", "/v1/responses", "/v1/messages")
CHAT_PROVIDERS = ("openai", "anthropic", "bedrock", "local")
PROVIDERS = (*CHAT_PROVIDERS, "polly")
SERVED: dict[str, frozenset[str]] = {
    **{endpoint: frozenset(CHAT_PROVIDERS) for endpoint in CHAT_ENDPOINTS},
    "/v1/embeddings": frozenset({"openai", "bedrock", "local"}),
    "/v1/images/generations": frozenset({"openai", "bedrock", "local"}),
    "/v1/images/edits": frozenset({"openai", "local"}),
    "/v1/audio/speech": frozenset({"openai", "polly", "local"}),
    "/v1/audio/transcriptions": frozenset({"openai", "local"}),
    "/v1/videos": frozenset({"openai", "bedrock", "local"}),
}


def serves(provider: str, endpoint: str) -> bool:
    return provider in SERVED.get(endpoint, frozenset())
