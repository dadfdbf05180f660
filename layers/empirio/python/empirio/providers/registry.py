"""The provider table: each provider's adapter and the endpoints it serves, one line a provider.

Adding a provider: its module, one line in PROVIDERS, its catalog data (entries, and its name in the catalog's
``Provider`` type, which a unit test holds equal to this table) and the fake upstream the shared provider tests
call (tests/contract/test_matrix.py and test_inference_smoke.py run the same cases for every chat provider of
this table). GET /v1/models lists a model's endpoints from ``serves``; tests/unit/test_provider_table.py checks
each line against the adapter's capabilities (the protocols of providers.base). Reading the table imports no
adapter: an adapter module is imported when a model of its provider is first called, or at start-up by
``preload`` (all but the boto3 ones, which wait for their first call)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TypeVar, cast

from empirio.providers.base import Provider

T = TypeVar("T")

CHAT = frozenset({"/v1/chat/completions", "/v1/responses", "/v1/messages"})
EMBEDDINGS = "/v1/embeddings"
IMAGES = "/v1/images/generations"
IMAGE_EDITS = "/v1/images/edits"
SPEECH = "/v1/audio/speech"
TRANSCRIPTIONS = "/v1/audio/transcriptions"
VIDEOS = "/v1/videos"
EVERY = CHAT | {EMBEDDINGS, IMAGES, IMAGE_EDITS, SPEECH, TRANSCRIPTIONS, VIDEOS}


@dataclass(frozen=True)
class ProviderSpec:
    adapter: str  # "module:Class" of the adapter
    serves: frozenset[str]  # the endpoints an adapter of ours speaks for this provider
    lazy: bool = False  # True: imported on first call only (boto3 clients), never by preload

    @property
    def chat(self) -> bool:
        return self.serves >= CHAT


PROVIDERS: dict[str, ProviderSpec] = {
    "openai": ProviderSpec("empirio.providers.openai:OpenAIProvider", EVERY),
    "anthropic": ProviderSpec("empirio.providers.anthropic:AnthropicProvider", CHAT),
    "bedrock": ProviderSpec(
        "empirio.providers.bedrock:BedrockProvider", CHAT | {EMBEDDINGS, IMAGES, VIDEOS}, lazy=True
    ),
    "polly": ProviderSpec("empirio.providers.polly:PollyProvider", frozenset({SPEECH}), lazy=True),
    "local": ProviderSpec("empirio.providers.local:LocalProvider", EVERY),
}
_ADAPTERS: dict[str, object] = {}


def serves(provider: str, endpoint: str) -> bool:
    spec = PROVIDERS.get(provider)
    return spec is not None and endpoint in spec.serves


def chat_providers() -> tuple[str, ...]:
    return tuple(name for name, spec in PROVIDERS.items() if spec.chat)


def adapter(name: str) -> object:
    """The provider's adapter, built once (its module imported on the first call)."""
    found = _ADAPTERS.get(name)
    if found is None:
        module, _, cls = PROVIDERS[name].adapter.partition(":")
        found = _ADAPTERS[name] = getattr(importlib.import_module(module), cls)()
    return found


def preload() -> None:
    """Build every adapter that is not lazy (a function's start-up, so the first request does not import)."""
    for name, spec in PROVIDERS.items():
        if not spec.lazy:
            adapter(name)


def capability(name: str, kind: type[T]) -> T | None:
    """The provider's adapter when it offers ``kind`` (a runtime-checkable protocol of providers.base, such as
    Embedder or Transcriber), else None."""
    if name not in PROVIDERS:
        return None
    found = adapter(name)
    return found if isinstance(found, kind) else None


def provider_for(name: str) -> Provider:
    """A chat provider (every provider but the speech-only ones: GET /v1/models never lists those for chat)."""
    if not PROVIDERS[name].chat:
        raise KeyError(f"{name} serves no chat endpoint")
    return cast(Provider, adapter(name))  # the unit test checks every chat line against the protocol
