"""Amazon Polly as a speech model (``/v1/audio/speech``): SynthesizeSpeech through boto3, off the event loop. The
catalog's ``upstream_model`` is Polly's engine (standard, neural, long-form, generative). Polly bills characters
(its ``RequestCharacters``), so a Polly model's price is per million characters, charged as input tokens of one
character each. OpenAI's voice names map to Polly voices every engine has; a Polly voice id passes through."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from empirio.domain import wav
from empirio.domain.catalog import CatalogModel
from empirio.domain.media import SPEECH_FORMATS, Speech, SpeechRequest
from empirio.providers.base import UpstreamError
from empirio.providers.bedrock_runtime import mapped

PCM_RATE = 16_000  # Polly's PCM: 16-bit signed little-endian mono
MAX_CHARACTERS = 3_000  # billed characters per request
VOICES = {
    "alloy": "Joanna",
    "echo": "Matthew",
    "fable": "Ruth",
    "onyx": "Stephen",
    "nova": "Danielle",
    "shimmer": "Joanna",
    "ash": "Matthew",
    "ballad": "Ruth",
    "coral": "Danielle",
    "sage": "Joanna",
    "verse": "Stephen",
}
FORMATS = {"mp3": "mp3", "opus": "ogg_opus", "wav": "pcm", "pcm": "pcm"}


@lru_cache(maxsize=8)
def _client(region: str, endpoint_url: str | None) -> Any:
    config = Config(connect_timeout=10, read_timeout=60, retries={"max_attempts": 3, "mode": "adaptive"})
    return boto3.client("polly", region_name=region, endpoint_url=endpoint_url, config=config)


def request_of(request: SpeechRequest, model: CatalogModel) -> dict[str, Any]:
    fmt = request.response_format or "mp3"
    if fmt not in FORMATS:
        raise UpstreamError(400, f"Polly answers {', '.join(FORMATS)}; not {fmt}.")
    if len(request.input) > MAX_CHARACTERS:
        raise UpstreamError(400, f"Polly speaks at most {MAX_CHARACTERS} characters a request.")
    kwargs: dict[str, Any] = {
        "Text": request.input,
        "OutputFormat": FORMATS[fmt],
        "VoiceId": VOICES.get(request.voice, request.voice),
        "Engine": model.upstream_model,
    }
    if FORMATS[fmt] == "pcm":
        kwargs["SampleRate"] = str(PCM_RATE)
    return kwargs


def speech_of(request: SpeechRequest, response: dict[str, Any], audio: bytes) -> Speech:
    fmt = request.response_format or "mp3"
    characters = int(response.get("RequestCharacters") or len(request.input))
    if fmt in ("wav", "pcm"):
        seconds = Fraction(len(audio) // 2, PCM_RATE)
        if fmt == "wav":
            audio = wav.wrap_pcm(audio, PCM_RATE)
        return Speech(audio, SPEECH_FORMATS[fmt], seconds, input_tokens=characters)
    return Speech(audio, SPEECH_FORMATS[fmt], None, input_tokens=characters)


class PollyProvider:
    async def speak(self, request: SpeechRequest, model: CatalogModel) -> Speech:
        kwargs = request_of(request, model)

        def call() -> tuple[dict[str, Any], bytes]:
            response: dict[str, Any] = _client(model.region, model.base_url).synthesize_speech(**kwargs)
            with response["AudioStream"] as stream:
                return response, stream.read()

        try:
            response, audio = await asyncio.to_thread(call)
        except (ClientError, BotoCoreError) as error:
            raise mapped(error) from None
        return speech_of(request, response, audio)
