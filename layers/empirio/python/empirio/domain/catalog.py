"""The model catalog: what each model is, who serves it, what it costs; validated when loaded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from empirio.errors import GoneError

Provider = Literal["openai", "anthropic", "bedrock", "polly", "local"]
Modality = Literal["text", "image", "audio", "video", "document", "embedding"]

PRICING_UNITS = (
    "input_per_mtok",
    "output_per_mtok",
    "cached_input_per_mtok",
    "per_request",
    "per_image",
    "per_audio_second",
    "per_video_second",
)
KNOWN_ENDPOINTS = frozenset(
    {
        "/v1/chat/completions",
        "/v1/responses",
        "/v1/messages",
        "/v1/embeddings",
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/audio/transcriptions",
        "/v1/audio/speech",
        "/v1/videos",
    }
)


class CatalogError(ValueError):
    """The catalog file is not valid; the message names the model and field."""


class Pricing(BaseModel):
    """USD list prices; each unit present applies. Stored as exact decimals, never floats."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: Decimal | None = Field(default=None, ge=0)
    output_per_mtok: Decimal | None = Field(default=None, ge=0)
    cached_input_per_mtok: Decimal | None = Field(default=None, ge=0)
    per_request: Decimal | None = Field(default=None, ge=0)
    per_image: Decimal | None = Field(default=None, ge=0)
    per_audio_second: Decimal | None = Field(default=None, ge=0)
    per_video_second: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_a_price(self) -> Pricing:
        if all(getattr(self, unit) is None for unit in PRICING_UNITS):
            raise ValueError("at least one pricing unit is required")
        return self

    def as_json(self) -> dict[str, str]:
        """Rates as decimal strings (units absent from the card are omitted)."""
        return {unit: str(value) for unit in PRICING_UNITS if (value := getattr(self, unit)) is not None}


class Modalities(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input: tuple[Modality, ...] = Field(min_length=1)
    output: tuple[Modality, ...] = Field(min_length=1)


class CatalogModel(BaseModel):
    """One catalog entry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*/[A-Za-z0-9][A-Za-z0-9._:-]*$")
    name: str | None = None
    provider: Provider
    upstream_model: str = Field(min_length=1)
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Z][A-Z0-9_]*$")
    pricing: Pricing
    context_window: int = Field(gt=0)
    max_output_tokens: int = Field(gt=0)
    region: str = Field(min_length=1)
    modalities: Modalities
    supported_parameters: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    created: int = 0
    # The provider's retirement (shutdown) date, when it has one or announced one, and what replaces the model.
    retires_on: date | None = None
    replacement: str | None = None

    @field_validator("endpoints")
    @classmethod
    def _known_endpoints(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - KNOWN_ENDPOINTS)
        if unknown:
            raise ValueError(f"unknown endpoints {unknown}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CatalogModel:
        if self.max_output_tokens > self.context_window:
            raise ValueError("max_output_tokens exceeds context_window")
        if (self.provider == "local") != self.id.startswith("local/"):
            raise ValueError("local models (and only they) use provider 'local' and a 'local/' id")
        return self

    @property
    def owned_by(self) -> str:
        return self.id.split("/", 1)[0]

    def serves(self, endpoint: str) -> bool:
        return endpoint in self.endpoints

    def retired(self, today: date) -> bool:
        return self.retires_on is not None and self.retires_on <= today


def check_not_retired(model: CatalogModel, now: float) -> None:
    """A retired model answers 410, naming its replacement."""
    today = datetime.fromtimestamp(now, UTC).date()
    if model.retired(today):
        instead = f" Use '{model.replacement}' instead." if model.replacement else ""
        raise GoneError(
            f"The model '{model.id}' was retired by its provider on {model.retires_on}.{instead}",
            param="model",
        )


class Catalog:
    """All models by id; aliases, and the upstream's own model name when unambiguous, resolve to their model
    (clients with built-in names, such as Claude Code's dated model ids, work unchanged)."""

    def __init__(self, models: list[CatalogModel], version: str = "") -> None:
        self.models: tuple[CatalogModel, ...] = tuple(models)
        self.version = version  # recorded with every request's usage (the price list it was charged under)
        self._by_id: dict[str, CatalogModel] = {}
        for model in models:
            for name in (model.id, *model.aliases):
                if name in self._by_id:
                    raise CatalogError(f"duplicate model id or alias {name!r}")
                self._by_id[name] = model
        upstream_names: dict[str, list[CatalogModel]] = {}
        for model in models:
            upstream_names.setdefault(model.upstream_model, []).append(model)
        for name, owners in upstream_names.items():
            if len(owners) == 1 and name not in self._by_id:
                self._by_id[name] = owners[0]

    def __len__(self) -> int:
        return len(self.models)

    def get(self, model_id: str) -> CatalogModel | None:
        """The model for an id or alias, or None."""
        return self._by_id.get(model_id)

    def filter(
        self, *, modality: str | None = None, provider: str | None = None, endpoint: str | None = None
    ) -> list[CatalogModel]:
        """Models matching every given filter; ``modality`` matches input or output."""
        return [
            m
            for m in self.models
            if (modality is None or modality in m.modalities.input or modality in m.modalities.output)
            and (provider is None or m.provider == provider or m.owned_by == provider)
            and (endpoint is None or endpoint in m.endpoints)
        ]


class CatalogDocument(BaseModel):
    """The catalog file's shape; its JSON Schema (``catalog/models.schema.json``) is generated from this."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, title="EmpirioLabs model catalog")

    schema_url: str | None = Field(default=None, alias="$schema")
    version: str = Field(
        default="", description="recorded with each request as the price list it was charged under"
    )
    models: list[CatalogModel]


def catalog_schema() -> dict[str, object]:
    """The JSON Schema of the catalog file, as published in the repository."""
    return CatalogDocument.model_json_schema(by_alias=True)


def parse_catalog(text: str) -> Catalog:
    """Parse and validate catalog JSON (``{"models": [...]}``); raises CatalogError naming the bad entry."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"catalog is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise CatalogError('the catalog must be an object with a "models" list: {"models": [...]}')
    unknown = sorted(set(document) - {"$schema", "version", "models"})
    if unknown:
        raise CatalogError(f"unknown top-level fields {unknown}")
    models = []
    for index, raw in enumerate(document["models"]):
        try:
            models.append(CatalogModel.model_validate(raw))
        except ValidationError as exc:
            name = raw.get("id", f"#{index}") if isinstance(raw, dict) else f"#{index}"
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise CatalogError(f"model {name}: {where}: {first['msg']}") from exc
    return Catalog(models, version=str(document.get("version", "")))
