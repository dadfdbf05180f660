"""``POST /v1/audio/speech`` and ``POST /v1/audio/transcriptions`` (see metered.py). Speech holds the longest the
text can be spoken and charges the seconds produced; a transcription holds the seconds measured from the upload
before the call (a WAV exactly; other formats at most their size at 8 kbit/s) and charges the seconds transcribed."""

from __future__ import annotations

import math
from fractions import Fraction

from fastapi.responses import Response

from empirio.context import Context
from empirio.domain import wav
from empirio.domain.media import Speech, SpeechRequest, Transcript, TranscriptionRequest
from empirio.domain.pricing import Cost, Usage
from empirio.formats.openai_audio import render_transcript
from empirio.providers.base import SpeechSynthesizer, Transcriber
from functions.inference.metered import Rendered, UnitCall, resolve, run_metered

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


async def speech(context: Context, call: UnitCall, request: SpeechRequest) -> Response:
    model, synthesizer = resolve(context, request.model, SPEECH, SpeechSynthesizer)

    async def produce() -> Speech:
        return await synthesizer.speak(request, model)

    token_priced = model.pricing.output_per_mtok is not None
    return await run_metered(
        context,
        call,
        model,
        prompt_tokens=len(request.input.encode("utf-8", "surrogatepass")),
        max_tokens=model.max_output_tokens if token_priced else 0,
        units=Usage(audio_seconds=speech_worst_seconds(request)),
        produce=produce,
        usage_of=lambda result: Usage(
            audio_seconds=result.seconds or Fraction(0) if not token_priced else Fraction(0),
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        ),
        render=lambda result, cost: Rendered(
            result.audio,
            result.media_type,
            {"x-empirio-audio-seconds": f"{float(result.seconds):.3f}"} if result.seconds is not None else {},
        ),
        record=lambda result: {
            "audio_ms": _ms(result.seconds) if result and result.seconds is not None else 0,
            "characters": len(request.input),
        },
    )


async def transcription(context: Context, call: UnitCall, request: TranscriptionRequest) -> Response:
    model, transcriber = resolve(context, request.model, TRANSCRIPTIONS, Transcriber)

    async def produce() -> Transcript:
        return await transcriber.transcribe(request, model)

    def render(result: Transcript, cost: Cost) -> Rendered:
        body, media_type = render_transcript(request, result, cost)
        return Rendered(body.encode("utf-8"), media_type)

    return await run_metered(
        context,
        call,
        model,
        prompt_tokens=0,
        max_tokens=0,
        units=Usage(audio_seconds=upload_seconds(request)),
        produce=produce,
        usage_of=lambda result: Usage(audio_seconds=result.seconds),
        render=render,
        record=lambda result: {"audio_ms": _ms(result.seconds) if result else 0},
    )
