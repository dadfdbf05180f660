"""OpenAI's audio endpoints (pure): ``POST /v1/audio/speech`` (JSON in, audio bytes out, the charge in the
``x-empirio-cost`` header) and ``POST /v1/audio/transcriptions`` (a multipart upload in; json, text, srt, vtt or
verbose_json out, with ``usage`` of type ``duration`` and our ``cost``)."""

from __future__ import annotations

import json
from typing import Any

from empirio.domain.media import SPEECH_FORMATS, SpeechRequest, Transcript, TranscriptionRequest
from empirio.domain.pricing import Cost
from empirio.errors import InvalidRequestError
from empirio.formats.common import cost_json

TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
MAX_SPEECH_CHARS = 4096
MAX_UPLOAD_BYTES = 25 * 1024 * 1024


def _invalid(message: str, param: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param, code="invalid_value")


def parse_speech(body: dict[str, Any]) -> SpeechRequest:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequestError("'model' is required: a model id such as 'local/speech'.", param="model")
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequestError("'input' is required: the text to speak.", param="input")
    if len(text) > MAX_SPEECH_CHARS:
        raise _invalid(f"'input' has {len(text)} characters; at most {MAX_SPEECH_CHARS}.", "input")
    voice = body.get("voice")
    if isinstance(voice, dict) and isinstance(voice.get("id"), str):
        voice = voice["id"]
    if not isinstance(voice, str) or not voice:
        raise InvalidRequestError("'voice' is required, e.g. 'alloy'.", param="voice")
    fmt = body.get("response_format")
    if fmt is not None and fmt not in SPEECH_FORMATS:
        raise _invalid(f"'response_format' must be one of {', '.join(SPEECH_FORMATS)}.", "response_format")
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or isinstance(speed, bool) or not 0.25 <= speed <= 4.0:
        raise _invalid("'speed' must be a number from 0.25 to 4.0.", "speed")
    if body.get("stream_format", "audio") != "audio":
        raise _invalid(
            "'stream_format' 'sse' is not served yet; leave it out for audio bytes.", "stream_format"
        )
    instructions = body.get("instructions")
    return SpeechRequest(
        model=model,
        input=text,
        voice=voice,
        response_format=fmt,
        speed=float(speed),
        instructions=instructions if isinstance(instructions, str) else None,
    )


def parse_transcription(
    fields: dict[str, str], granularities: list[str], file: bytes | None, filename: str, content_type: str
) -> TranscriptionRequest:
    """The multipart form's text fields, its repeated ``timestamp_granularities[]`` and its ``file``."""
    model = fields.get("model")
    if not model:
        raise InvalidRequestError(
            "'model' is required: a model id such as 'local/transcribe'.", param="model"
        )
    if file is None:
        raise InvalidRequestError(
            "'file' is required: the audio to transcribe (multipart upload).", param="file"
        )
    if not file:
        raise _invalid("'file' is empty.", "file")
    fmt = fields.get("response_format") or "json"
    if fmt not in TRANSCRIPT_FORMATS:
        raise _invalid(
            f"'response_format' must be one of {', '.join(TRANSCRIPT_FORMATS)}.", "response_format"
        )
    temperature = None
    if fields.get("temperature"):
        try:
            temperature = float(fields["temperature"])
        except ValueError:
            raise _invalid("'temperature' must be a number.", "temperature") from None
    for granularity in granularities:
        if granularity not in ("word", "segment"):
            raise _invalid(
                "'timestamp_granularities[]' takes 'word' and 'segment'.", "timestamp_granularities"
            )
    return TranscriptionRequest(
        model=model,
        file=file,
        filename=filename or "audio",
        content_type=content_type or "application/octet-stream",
        response_format=fmt,
        language=fields.get("language") or None,
        prompt=fields.get("prompt") or None,
        temperature=temperature,
        granularities=tuple(granularities),
    )


def _timestamp(seconds: float, separator: str) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{separator}{millis:03d}"


def render_transcript(request: TranscriptionRequest, transcript: Transcript, cost: Cost) -> tuple[str, str]:
    """(body, media type) in the response format asked for."""
    seconds = float(transcript.seconds)
    usage = {"type": "duration", "seconds": max(1, round(seconds)), **cost_json(cost)}
    fmt = request.response_format
    if fmt == "text":
        return transcript.text + "\n", "text/plain"
    if fmt in ("srt", "vtt"):
        separator = "," if fmt == "srt" else "."
        cue = f"{_timestamp(0, separator)} --> {_timestamp(seconds, separator)}\n{transcript.text}\n"
        return (f"1\n{cue}" if fmt == "srt" else f"WEBVTT\n\n{cue}"), "text/plain"
    if fmt == "verbose_json":
        segments = transcript.segments or [
            {"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": transcript.text, "temperature": 0.0}
        ]
        body: dict[str, Any] = {
            "task": "transcribe",
            "language": transcript.language,
            "duration": seconds,
            "text": transcript.text,
            "segments": segments,
            "usage": usage,
        }
    else:
        body = {"text": transcript.text, "usage": usage}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False), "application/json"
