"""What every provider adapter offers, and the upstream failures the gateway maps into client errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from empirio.domain.canonical import Event, Request, Response
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import (
    EmbeddingRequest,
    ImageEditRequest,
    ImageRequest,
    Images,
    Speech,
    SpeechRequest,
    Transcript,
    TranscriptionRequest,
    VideoProgress,
    VideoRequest,
)


@dataclass(frozen=True)
class UpstreamCall:
    """One HTTP request to an upstream, fully built by a pure adapter. With ``files`` it is a multipart form
    (``body`` its text fields; each file ``(field, filename, bytes, content type)``), else a JSON body."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    files: tuple[tuple[str, str, bytes, str], ...] = ()
    method: str = "POST"  # GET sends no body


class UpstreamError(Exception):
    """The upstream refused or failed. ``status`` is what the client gets: 429, 400, 502 or 504."""

    def __init__(
        self, status: int, message: str, *, retry_after: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after
        self.retryable = retryable


@dataclass(frozen=True)
class Options:
    """What admission decided for this call."""

    max_tokens: int
    credentials: dict[str, str] = field(default_factory=dict)
    retry: bool = True  # False when a fallback model stands by: a failing upstream hands over at once


class Provider(Protocol):
    """A provider: ``complete`` for a buffered answer, ``stream`` for canonical events."""

    async def complete(self, request: Request, model: CatalogModel, options: Options) -> Response: ...

    def stream(self, request: Request, model: CatalogModel, options: Options) -> AsyncIterator[Event]: ...


@dataclass(frozen=True)
class Embeddings:
    """An embeddings answer: one vector per input, in order, and the tokens the upstream counted."""

    vectors: list[list[float]]
    prompt_tokens: int


@runtime_checkable
class Embedder(Protocol):
    """A provider that serves ``/v1/embeddings``."""

    async def embed(self, request: EmbeddingRequest, model: CatalogModel) -> Embeddings: ...


@runtime_checkable
class ImageGenerator(Protocol):
    """A provider that serves ``/v1/images/generations``."""

    async def generate(self, request: ImageRequest, model: CatalogModel) -> Images: ...


@runtime_checkable
class ImageEditor(Protocol):
    """A provider that serves ``/v1/images/edits``."""

    async def edit(self, request: ImageEditRequest, model: CatalogModel) -> Images: ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    """A provider that serves ``/v1/audio/speech``."""

    async def speak(self, request: SpeechRequest, model: CatalogModel) -> Speech: ...


@runtime_checkable
class Transcriber(Protocol):
    """A provider that serves ``/v1/audio/transcriptions``."""

    async def transcribe(self, request: TranscriptionRequest, model: CatalogModel) -> Transcript: ...


@runtime_checkable
class VideoGenerator(Protocol):
    """A provider that serves ``/v1/videos``: an asynchronous job, started, then observed until it ends.
    ``output_uri`` is where a provider that writes to S3 itself (Bedrock) puts the result; the returned reference
    is what ``video_status`` and ``video_content`` are asked about."""

    async def start_video(
        self, request: VideoRequest, model: CatalogModel, job_id: str, output_uri: str
    ) -> str: ...

    async def video_status(self, reference: str, model: CatalogModel) -> VideoProgress: ...

    async def video_content(self, reference: str, model: CatalogModel) -> bytes: ...


@contextmanager
def readable() -> Iterator[None]:
    """Around parsing an upstream's answer: JSON that does not parse or has an unexpected shape is the upstream's
    failure (502), not ours."""
    try:
        yield
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise UpstreamError(502, "The upstream provider sent an unreadable answer.") from exc
