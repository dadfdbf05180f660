"""The canonical types of the non-chat modalities (images, audio, embeddings, video): what a client format parses
into and renders from, and what a provider takes and answers. Like ``canonical`` for chat, nothing here knows a
vendor's or a client's field names; ``formats/openai_*`` map OpenAI's wire to these, ``providers/`` map these to
each upstream's."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

# Images


@dataclass(frozen=True)
class ImageRequest:
    model: str
    prompt: str
    n: int = 1
    size: str | None = None
    quality: str | None = None
    response_format: str | None = None  # url | b64_json
    output_format: str | None = None  # png | jpeg | webp
    background: str | None = None
    style: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class ImageEditRequest:
    """An edit: the generation's fields, the images to edit (at most 16) and an optional ``mask``."""

    base: ImageRequest
    images: tuple[Upload, ...]
    mask: Upload | None = None
    input_fidelity: str | None = None


@dataclass(frozen=True)
class GeneratedImage:
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


@dataclass(frozen=True)
class Images:
    """What an image upstream produced: the images and, when it counts them, its tokens."""

    images: list[GeneratedImage]
    input_tokens: int = 0
    output_tokens: int = 0
    reported_usage: bool = False


def dimensions(size: str | None, default: tuple[int, int] = (1024, 1024)) -> tuple[int, int]:
    if not size or size == "auto":
        return default
    width, height = size.split("x")
    return int(width), int(height)


# Audio

SPEECH_FORMATS = {  # the audio formats speech is served in, by name, with their media types
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@dataclass(frozen=True)
class SpeechRequest:
    model: str
    input: str
    voice: str
    response_format: str | None = None  # as asked; None: the model's default
    speed: float = 1.0
    instructions: str | None = None


@dataclass(frozen=True)
class Speech:
    audio: bytes
    media_type: str
    seconds: Fraction | None  # of audio produced, when we can measure it (WAV, PCM)
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class TranscriptionRequest:
    model: str
    file: bytes
    filename: str
    content_type: str
    response_format: str = "json"
    language: str | None = None
    prompt: str | None = None
    temperature: float | None = None
    granularities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: Fraction  # of audio transcribed (the upstream's, else our measurement)
    language: str = "english"
    segments: list[dict[str, Any]] = field(default_factory=list)


# Embeddings

Input = str | tuple[int, ...]  # a text or an array of token ids


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str
    inputs: tuple[Input, ...]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None


# Video

DEFAULT_VIDEO_SECONDS = 4
DEFAULT_VIDEO_SIZE = "720x1280"


@dataclass(frozen=True)
class VideoRequest:
    model: str
    prompt: str
    seconds: int = DEFAULT_VIDEO_SECONDS
    asked_size: str | None = None  # None: the model's own default
    input_reference: Upload | None = None

    @property
    def size(self) -> str:
        return self.asked_size or DEFAULT_VIDEO_SIZE

    @property
    def width(self) -> int:
        return int(self.size.split("x")[0])

    @property
    def height(self) -> int:
        return int(self.size.split("x")[1])


@dataclass(frozen=True)
class VideoProgress:
    """What an upstream says of a job: its status, progress (0 to 100), and once completed the seconds it made
    (when it says) and where the result is (``stored_key``: already in our bucket, as Bedrock writes it)."""

    status: str
    progress: int = 0
    seconds: Fraction | None = None
    error: str | None = None
    stored_key: str | None = None
