"""The usage record: one request's tokens, money and outcome, as the settle transaction stores it (pure).

Callers describe a request as an ``Outcome`` (what was called, how it ended, how long it took, the app); the
meter alone makes the ``UsageRecord`` (ids, time, index keys, usage and money around that outcome). ``to_item``
is the stored item (None values left out, as DynamoDB keeps them); ``from_item`` reads any record back, older
ones included (a missing key is its default, an unknown one is kept in ``extra`` and written back as it was).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from empirio.domain.attribution import App

_ERROR_MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Units:
    """What a request that is not chat asked for and produced (None: not a request of that kind)."""

    images: int | None = None
    requested_images: int | None = None
    audio_ms: int | None = None  # audio produced or transcribed, whole milliseconds
    characters: int | None = None  # speech input
    inputs: int | None = None  # embeddings input
    video_ms: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What a request was and how it ended, as its usage record keeps it (None: not recorded)."""

    model: str
    provider: str | None = None
    price_version: str | None = None
    endpoint: str | None = None
    source: str | None = None  # "api" or "playground"
    streamed: bool | None = None
    finish_reason: str | None = None
    status: str | None = None  # "ok", "error", "cancelled"
    error_type: str | None = None
    error_status: int | None = None
    error_message: str | None = None
    billing_status: str | None = None  # "complete", "partial_…", "not_charged"
    latency_ms: int | None = None
    upstream_latency_ms: int | None = None
    ttft_ms: int | None = None
    app: str | None = None  # what usage groups by (the title, else the referer)
    http_referer: str | None = None
    app_title: str | None = None
    attempts: tuple[dict[str, Any], ...] | None = None  # every model tried, when the request named several
    units: Units = field(default_factory=Units)


def unit_outcome(
    model_id: str,
    provider: str,
    endpoint: str,
    *,
    price_version: str | None,
    source: str,
    latency_ms: int,
    upstream_latency_ms: int,
    app: App,
    error: str | None = None,
    error_status: int | None = None,
    units: Units | None = None,
) -> Outcome:
    """The outcome of a request that is not chat (embeddings, images, audio, video): it ends once, not streamed."""
    return Outcome(
        model=model_id,
        provider=provider,
        price_version=price_version,
        endpoint=endpoint,
        source=source,
        streamed=False,
        finish_reason="stop" if error is None else None,
        status="ok" if error is None else "error",
        error_type="upstream" if error else None,
        error_status=error_status,
        error_message=error[:_ERROR_MESSAGE_CHARS] if error else None,
        billing_status="complete" if error is None else "not_charged",
        latency_ms=latency_ms,
        upstream_latency_ms=upstream_latency_ms,
        app=app.name or None,
        http_referer=app.referer,
        app_title=app.title,
        units=units or Units(),
    )


_OUTCOME = tuple(f.name for f in fields(Outcome) if f.name not in ("model", "provider", "attempts", "units"))
_UNITS = tuple(f.name for f in fields(Units))
_MONEY = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "cost",
    "price",
    "house_loss",
)
_IDS = ("request_id", "account_id", "key_id", "model", "provider", "created_at", "sort_key", "hour_shard")
_KNOWN = frozenset({*_IDS, *_MONEY, *_OUTCOME, "attempts", *_UNITS})


@dataclass(frozen=True)
class UsageRecord:
    """One request's usage record: who, when (and the index keys), the usage, the money, and the outcome."""

    request_id: str
    account_id: str
    key_id: str | None
    created_at: int  # epoch seconds
    sort_key: str  # the by_account index: created_at then request id
    hour_shard: str  # the by_hour index (empirio.domain.usage.hour_shard)
    outcome: Outcome
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0  # micro-USD charged
    price: int | None = None  # micro-USD the usage was worth (None: a record written before prices were kept)
    house_loss: int = 0  # price - cost: what the hold did not cover
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys of an older record this type does not name

    @property
    def model(self) -> str:
        return self.outcome.model

    def to_item(self) -> dict[str, Any]:
        """The stored item: every key in the order it has always been written, None values left out."""
        outcome = self.outcome
        values: dict[str, Any] = {
            "request_id": self.request_id,
            "account_id": self.account_id,
            "key_id": self.key_id,
            "model": outcome.model,
            "provider": outcome.provider,
            "created_at": self.created_at,
            "sort_key": self.sort_key,
            "hour_shard": self.hour_shard,
            **{name: getattr(self, name) for name in _MONEY},
            **{name: getattr(outcome, name) for name in _OUTCOME},
            "attempts": list(outcome.attempts) if outcome.attempts is not None else None,
            **{name: getattr(outcome.units, name) for name in _UNITS},
            **self.extra,
        }
        return {k: v for k, v in values.items() if v is not None}

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> UsageRecord:
        """A stored record (plain values, as ``store.dynamo.from_item`` gives them) of any age."""
        attempts = item.get("attempts")
        outcome = Outcome(
            model=item.get("model", ""),
            provider=item.get("provider"),
            attempts=tuple(attempts) if attempts is not None else None,
            units=Units(**{name: item.get(name) for name in _UNITS}),
            **{name: item.get(name) for name in _OUTCOME},
        )
        return cls(
            request_id=item.get("request_id", ""),
            account_id=item.get("account_id", ""),
            key_id=item.get("key_id"),
            created_at=item.get("created_at", 0),
            sort_key=item.get("sort_key", ""),
            hour_shard=item.get("hour_shard", ""),
            outcome=outcome,
            input_tokens=item.get("input_tokens", 0),
            output_tokens=item.get("output_tokens", 0),
            cached_input_tokens=item.get("cached_input_tokens", 0),
            reasoning_tokens=item.get("reasoning_tokens", 0),
            cost=item.get("cost", 0),
            price=item.get("price"),
            house_loss=item.get("house_loss", 0),
            extra={k: v for k, v in item.items() if k not in _KNOWN},
        )
