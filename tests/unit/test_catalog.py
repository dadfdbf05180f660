import json
from datetime import date
from pathlib import Path

import pytest

from empirio.domain.catalog import PRICING_UNITS, CatalogError, parse_catalog
from empirio.settings import Settings

CATALOG = Path(__file__).resolve().parents[2] / "catalog" / "models.json"


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return parse_catalog(CATALOG.read_text())


def test_the_shipped_catalog_is_valid_and_broad(catalog) -> None:  # type: ignore[no-untyped-def]
    today = date(2026, 12, 2)
    live = [m for m in catalog.models if m.provider != "local" and not m.retired(today)]
    assert len(live) >= 118  # real models with the providers' current ids, not yet retired
    providers = {m.provider for m in catalog.models}
    assert providers == {"openai", "anthropic", "bedrock", "polly", "local"}
    pinned = {"local/embed", "local/image", "local/speech", "local/transcribe", "local/video"}
    assert pinned <= {m.id for m in catalog.models}
    assert len({m.owned_by for m in catalog.models}) >= 6
    modalities = {x for m in catalog.models for x in (*m.modalities.input, *m.modalities.output)}
    assert {"text", "image", "audio", "video", "document"} <= modalities
    units = {u for m in catalog.models for u in m.pricing.as_json()}
    assert {
        "input_per_mtok",
        "output_per_mtok",
        "per_image",
        "per_audio_second",
        "per_video_second",
        "per_request",
    } <= units


def test_every_chat_model_is_priced_per_token(catalog) -> None:  # type: ignore[no-untyped-def]
    for model in catalog.filter(endpoint="/v1/chat/completions"):
        pricing = model.pricing.as_json()
        assert "per_request" in pricing or {"input_per_mtok", "output_per_mtok"} <= set(pricing), model.id


def test_local_echo_is_listed_and_priced(catalog) -> None:  # type: ignore[no-untyped-def]
    echo = catalog.get("local/echo")
    assert echo is not None and echo.provider == "local"
    assert echo.pricing.input_per_mtok and echo.pricing.output_per_mtok


def test_aliases_resolve_to_their_model(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.get("claude-sonnet-4-5").id == "anthropic/claude-sonnet-4-5"
    assert catalog.get("gpt-4o").id == "openai/gpt-4o"


def test_filters(catalog) -> None:  # type: ignore[no-untyped-def]
    images = catalog.filter(modality="image")
    assert images and all("image" in (*m.modalities.input, *m.modalities.output) for m in images)
    assert {m.provider for m in catalog.filter(provider="bedrock")} == {"bedrock"}


def _entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "id": "acme/model",
        "provider": "openai",
        "upstream_model": "m",
        "pricing": {"input_per_mtok": "1"},
        "context_window": 1000,
        "max_output_tokens": 100,
        "region": "us",
        "modalities": {"input": ["text"], "output": ["text"]},
        "endpoints": ["/v1/chat/completions"],
    }
    entry.update(overrides)
    return entry


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"pricing": {}}, "pricing"),
        ({"pricing": {"input_per_mtok": "-1"}}, "pricing.input_per_mtok"),
        ({"pricing": {"per_token": "1"}}, "pricing.per_token"),
        ({"max_output_tokens": 5000}, "max_output_tokens exceeds"),
        ({"provider": "local"}, "local"),
        ({"endpoints": ["/v1/nope"]}, "endpoints"),
        ({"id": "no-slash"}, "id"),
        ({"modalities": {"input": ["smell"], "output": ["text"]}}, "modalities.input"),
    ],
)
def test_invalid_entries_are_refused_naming_model_and_field(override: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogError) as error:
        parse_catalog(json.dumps({"models": [_entry(**override)]}))
    assert field in str(error.value)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        parse_catalog(json.dumps({"models": [_entry(), _entry()]}))


def test_pricing_units_are_the_documented_ones() -> None:
    assert set(PRICING_UNITS) == {
        "input_per_mtok",
        "output_per_mtok",
        "cached_input_per_mtok",
        "per_request",
        "per_image",
        "per_audio_second",
        "per_video_second",
    }


def test_empirio_catalog_replaces_the_catalog(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": [_entry()]}))
    settings = Settings.from_env({"EMPIRIO_CATALOG": str(path)})
    assert settings.catalog_path == str(path)
    assert Settings.from_env({}).catalog_path == str(CATALOG)


def test_upstream_model_names_resolve_when_unambiguous(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.get("claude-sonnet-4-5-20250929").id == "anthropic/claude-sonnet-4-5"  # Claude Code's name
    assert catalog.get("claude-haiku-4-5-20251001").id == "anthropic/claude-haiku-4-5"
    assert catalog.get("gpt-4.1-mini").id == "openai/gpt-4.1-mini"
