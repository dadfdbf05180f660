"""The provider table (providers/registry.py) is the one place a provider is named: the catalog's provider type,
the shared provider tests and GET /v1/models agree with it, and each line with its adapter."""

from __future__ import annotations

from typing import get_args

from empirio.domain import catalog
from empirio.providers import registry
from empirio.providers.base import (
    Embedder,
    ImageEditor,
    ImageGenerator,
    SpeechSynthesizer,
    Transcriber,
    VideoGenerator,
)
from tests.contract.conftest import PROVIDERS as SHARED_SUITE

CAPABILITIES: dict[str, type] = {
    registry.EMBEDDINGS: Embedder,
    registry.IMAGES: ImageGenerator,
    registry.IMAGE_EDITS: ImageEditor,
    registry.SPEECH: SpeechSynthesizer,
    registry.TRANSCRIPTIONS: Transcriber,
    registry.VIDEOS: VideoGenerator,
}


def test_the_catalog_names_exactly_the_providers_of_the_table() -> None:
    assert set(get_args(catalog.Provider)) == set(registry.PROVIDERS)


def test_each_line_serves_what_its_adapter_can() -> None:
    for name, spec in registry.PROVIDERS.items():
        assert spec.serves <= registry.EVERY, name
        for endpoint, kind in CAPABILITIES.items():
            assert (endpoint in spec.serves) == (registry.capability(name, kind) is not None), (
                name,
                endpoint,
            )
        if spec.chat:
            adapter = registry.provider_for(name)
            assert callable(adapter.complete) and callable(adapter.stream), name
        else:
            assert not spec.serves & registry.CHAT, name


def test_the_shared_provider_suite_runs_every_chat_provider() -> None:
    assert (
        set(SHARED_SUITE)
        == {n for n, s in registry.PROVIDERS.items() if s.chat}
        == {
            "openai",
            "anthropic",
            "bedrock",
            "local",
        }
    )


def test_reading_the_table_imports_no_adapter() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from empirio.providers import registry; registry.serves('openai', '/v1/embeddings'); "
        "print(sorted(m for m in sys.modules if m.startswith('empirio.providers.') and m not in "
        "('empirio.providers.registry', 'empirio.providers.base')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
