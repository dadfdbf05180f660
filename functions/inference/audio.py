"""``POST /v1/audio/speech`` and ``POST /v1/audio/transcriptions`` (see metered.py). Speech holds the longest the
text can be spoken and charges the seconds produced; a transcription holds the seconds measured from the upload
before the call (a WAV exactly; other formats at most their size at 8 kbit/s) and charges the seconds transcribed."""

from __future__ import annotations

import math
from fractions import Fraction

from fastapi import Request

from empirio.domain import wav
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import Speech, SpeechRequest, Transcript, TranscriptionRequest
from empirio.domain.pricing import Cost, Usage
from empirio.domain.usage_record import Units
from empirio.formats.openai_audio import parse_speech, parse_transcription, render_transcript
from empirio.providers.base import SpeechSynthesizer, Transcriber
from functions.inference.bodies import max_cost_of, multipart
from functions.inference.gate import Parsed
from functions.inference.metered import Metered, Rendered, Worst, parse_json

SPEECH = "/v1/audio/speech"
TRANSCRIPTIONS = "/v1/audio/transcriptions"
MAX_SECONDS_PER_CHARACTER = Fraction(1, 10)  # slower than anyone speaks at speed 1
MIN_BITS_PER_SECOND = 8_000  # no compressed speech format is smaller than this


def _ms(seconds: Fraction) -> int:
    """Audio length in a usage record: whole milliseconds, rounded up (DynamoDB numbers are not floats)."""
    return math.ceil(seconds * 1000)


def speech_worst_seconds(request: SpeechRequest) -> Fraction:
    return max(
        Fraction(1),
        MAX_SECONDS_PER_CHARACTER * len(request.input) / Fraction(request.speed).limit_denominator(100),
    )


def upload_seconds(request: TranscriptionRequest) -> Fraction:
    """The seconds held for the upload, measured before the call (exact for a WAV, else an upper bound by size),
    rounded up to the whole second as upstreams bill it."""
    info = wav.read(request.file)
    seconds = info.seconds if info is not None else Fraction(len(request.file) * 8, MIN_BITS_PER_SECOND)
    return Fraction(math.ceil(seconds))  # upstreams bill whole seconds, rounded up


class CreateSpeech(Metered[SpeechRequest, SpeechSynthesizer, Speech]):
    path = SPEECH
    kind = SpeechSynthesizer

    async def parse(self, request: Request) -> Parsed[SpeechRequest]:
        return await parse_json(request, parse_speech)

    def model_of(self, request: SpeechRequest) -> str:
        return request.model

    def worst(self, request: SpeechRequest, model: CatalogModel) -> Worst:
        token_priced = model.pricing.output_per_mtok is not None
        return Worst(
            prompt_tokens=len(request.input.encode("utf-8", "surrogatepass")),
            max_tokens=model.max_output_tokens if token_priced else 0,
            units=Usage(audio_seconds=speech_worst_seconds(request)),
        )

    async def produce(
        self, adapter: SpeechSynthesizer, request: SpeechRequest, model: CatalogModel
    ) -> Speech:
        return await adapter.speak(request, model)

    def usage_of(self, request: SpeechRequest, result: Speech, model: CatalogModel) -> Usage:
        token_priced = model.pricing.output_per_mtok is not None
        return Usage(
            audio_seconds=result.seconds or Fraction(0) if not token_priced else Fraction(0),
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        )

    def render(self, request: SpeechRequest, result: Speech, model: CatalogModel, cost: Cost) -> Rendered:
        seconds = (
            {"x-empirio-audio-seconds": f"{float(result.seconds):.3f}"} if result.seconds is not None else {}
        )
        return Rendered(result.audio, result.media_type, seconds)

    def record(self, request: SpeechRequest, result: Speech | None) -> Units:
        return Units(
            audio_ms=_ms(result.seconds) if result and result.seconds is not None else 0,
            characters=len(request.input),
        )


class CreateTranscription(Metered[TranscriptionRequest, Transcriber, Transcript]):
    """A multipart upload: the audio ``file`` and the text fields."""

    path = TRANSCRIPTIONS
    kind = Transcriber

    async def parse(self, request: Request) -> Parsed[TranscriptionRequest]:
        raw, fields, lists, files = await multipart(request)
        upload = files.get("file", [None])[0]
        parsed = parse_transcription(
            fields,
            lists.get("timestamp_granularities[]", []),
            upload.content if upload else None,
            upload.filename if upload else "",
            upload.content_type if upload else "",
        )
        return Parsed(parsed, raw, max_cost_of(request.headers.get("x-max-cost"), fields))

    def model_of(self, request: TranscriptionRequest) -> str:
        return request.model

    def worst(self, request: TranscriptionRequest, model: CatalogModel) -> Worst:
        return Worst(units=Usage(audio_seconds=upload_seconds(request)))

    async def produce(
        self, adapter: Transcriber, request: TranscriptionRequest, model: CatalogModel
    ) -> Transcript:
        return await adapter.transcribe(request, model)

    def usage_of(self, request: TranscriptionRequest, result: Transcript, model: CatalogModel) -> Usage:
        return Usage(audio_seconds=result.seconds)

    def render(
        self, request: TranscriptionRequest, result: Transcript, model: CatalogModel, cost: Cost
    ) -> Rendered:
        body, media_type = render_transcript(request, result, cost)
        return Rendered(body.encode("utf-8"), media_type)

    def record(self, request: TranscriptionRequest, result: Transcript | None) -> Units:
        return Units(audio_ms=_ms(result.seconds) if result else 0)
