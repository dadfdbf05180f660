"""Speech and transcriptions with the official SDK: local/speech's WAV, local/transcribe reading it back (both legs
billed the WAV's seconds), every transcript format, an OpenAI upstream taking the multipart upload, the errors."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import pytest

from empirio.domain import wav
from tests.contract.conftest import Gateway

TEXT = "The quick brown fox jumps over the lazy dog."


def micros(seconds: Fraction, per_second: str) -> int:
    return math.ceil(seconds * Fraction(per_second) * 1_000_000)


def speak(gateway: Gateway, text: str = TEXT, **extra: Any) -> tuple[bytes, Any]:
    raw = gateway.openai().audio.speech.with_raw_response.create(
        model="local/speech", voice="alloy", input=text, response_format="wav", **extra
    )
    return raw.content, raw


def test_speech_is_a_real_wav_whose_length_follows_the_text_and_is_billed_by_the_second(
    gateway: Gateway,
) -> None:
    before = gateway.balance()
    audio, raw = speak(gateway)
    info = wav.read(audio)
    assert info is not None and info.sample_rate == 24_000 and info.channels == 1
    assert info.seconds == Fraction(6, 100) * len(TEXT)  # 0.06 s a character
    longer = wav.read(speak(gateway, TEXT * 3)[0])
    assert longer is not None and longer.seconds == 3 * info.seconds
    faster = wav.read(speak(gateway, TEXT, speed=2.0)[0])
    assert faster is not None and faster.seconds == info.seconds / 2
    cost = micros(info.seconds, "0.0002")
    assert raw.headers["content-type"] == "audio/wav"
    assert round(float(raw.headers["x-empirio-cost"]) * 1_000_000) == cost
    records = gateway.usage_records()
    first = next(r for r in records if r["request_id"] == raw.headers["x-request-id"])
    assert first["cost"] == cost and first["endpoint"] == "/v1/audio/speech"
    spent = sum(r["cost"] for r in records)
    assert gateway.balance() == before - spent


def test_openai_speech_is_asked_as_events_and_charged_its_reported_tokens(gateway: Gateway) -> None:
    before = gateway.balance()
    raw = gateway.openai().audio.speech.with_raw_response.create(
        model="test/openai-tts", voice="coral", input="Today is a wonderful day.", instructions="cheerful"
    )
    assert raw.content.startswith(b"ID3") and raw.headers["content-type"] == "audio/mpeg"
    expected = math.ceil(Fraction(14 * 60 + 101 * 1200, 100))  # micro-USD: tokens x USD per million, exact
    assert round(float(raw.headers["x-empirio-cost"]) * 1_000_000) == expected == before - gateway.balance()
    sent = gateway.upstream.last("/audio/speech")["body"]
    assert (
        sent["stream_format"] == "sse"
        and sent["response_format"] == "mp3"
        and sent["instructions"] == "cheerful"
    )


def test_a_speech_to_transcription_round_trip_bills_the_wav_seconds_on_both_legs(gateway: Gateway) -> None:
    before = gateway.balance()
    audio, spoken = speak(gateway)
    seconds = wav.read(audio).seconds  # type: ignore[union-attr]
    raw = gateway.openai().audio.transcriptions.with_raw_response.create(
        model="local/transcribe", file=("speech.wav", audio, "audio/wav")
    )
    transcript = raw.parse()
    assert transcript.text == TEXT
    speech_cost = round(float(spoken.headers["x-empirio-cost"]) * 1_000_000)
    transcription_cost = round(float(raw.headers["x-empirio-cost"]) * 1_000_000)
    assert speech_cost == micros(seconds, "0.0002") and transcription_cost == micros(seconds, "0.0001")
    assert transcript.usage is not None and transcript.usage.type == "duration"
    assert gateway.balance() == before - speech_cost - transcription_cost


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt", "verbose_json"])
def test_every_transcript_format(gateway: Gateway, fmt: str) -> None:
    audio, _ = speak(gateway, "hello there")
    answer: Any = gateway.openai().audio.transcriptions.create(
        model="local/transcribe",
        file=("a.wav", audio, "audio/wav"),
        response_format=fmt,  # type: ignore[arg-type]
    )
    if fmt == "verbose_json":
        assert answer.text == "hello there" and answer.duration == pytest.approx(0.66)
        assert answer.segments[0].end == pytest.approx(0.66)
    else:
        text = answer if isinstance(answer, str) else str(answer)
        assert "hello there" in text
        if fmt == "srt":
            assert "00:00:00,000 --> 00:00:00,660" in text
        if fmt == "vtt":
            assert text.startswith("WEBVTT") and "00:00:00.000 --> 00:00:00.660" in text


def test_an_openai_upstream_gets_the_upload_as_multipart_and_its_seconds_are_charged(
    gateway: Gateway,
) -> None:
    audio = wav.build(Fraction(847, 100), "the recorded clip")  # the recording's 8.47 s (billed as 9 s)
    before = gateway.balance()
    raw = gateway.openai().audio.transcriptions.with_raw_response.create(
        model="test/openai-transcribe", file=("clip.wav", audio, "audio/wav"), language="en"
    )
    assert raw.parse().text.startswith("The beach was a popular spot")
    assert round(float(raw.headers["x-empirio-cost"]) * 1_000_000) == 900 == before - gateway.balance()  # 9 s
    sent = gateway.upstream.last("/audio/transcriptions")["body"]
    assert (
        sent["model"] == "whisper-1"
        and sent["language"] == "en"
        and sent["response_format"] == "verbose_json"
    )
    assert sent["file"] == {"filename": "clip.wav", "content_type": "audio/wav", "bytes": len(audio)}


def test_the_hold_is_measured_from_the_upload_before_the_call(gateway: Gateway) -> None:
    """A 60-second WAV needs $0.006 of room at $0.0001 a second; with less, 402 and no call."""
    minute = wav.build(Fraction(60), "a minute")
    poor = gateway.operator.create_account("poor", "0.005")
    key = gateway.operator.create_key(poor["id"])
    response = gateway.client.post(
        "/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {key}"},
        data={"model": "local/transcribe"},
        files={"file": ("minute.wav", minute, "audio/wav")},
    )
    assert response.status_code == 402, response.text
    assert gateway.context.accounts.require(poor["id"]).available == 5_000


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"data": {"model": "local/transcribe"}}, "file"),
        ({"data": {}, "files": {"file": ("a.wav", b"RIFF", "audio/wav")}}, "model"),
        (
            {
                "data": {"model": "local/transcribe", "response_format": "xml"},
                "files": {"file": ("a.wav", b"x", "audio/wav")},
            },
            "response_format",
        ),
        ({"data": {"model": "local/speech"}, "files": {"file": ("a.wav", b"x", "audio/wav")}}, "model"),
    ],
)
def test_bad_transcription_requests(gateway: Gateway, kwargs: dict[str, Any], param: str) -> None:
    response = gateway.client.post(
        "/v1/audio/transcriptions", headers={"Authorization": f"Bearer {gateway.key}"}, **kwargs
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_local_transcribe_refuses_what_is_not_a_wav_and_charges_nothing(gateway: Gateway) -> None:
    before = gateway.balance()
    response = gateway.client.post(
        "/v1/audio/transcriptions",
        headers={"Authorization": f"Bearer {gateway.key}"},
        data={"model": "local/transcribe"},
        files={"file": ("a.mp3", b"ID3" + b"\x00" * 2000, "audio/mpeg")},
    )
    assert response.status_code == 400 and "WAV" in response.json()["error"]["message"]
    assert gateway.balance() == before


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "local/speech", "voice": "alloy"}, "input"),
        ({"model": "local/speech", "input": "hi"}, "voice"),
        ({"model": "local/speech", "input": "hi", "voice": "alloy", "speed": 9}, "speed"),
        (
            {"model": "local/speech", "input": "hi", "voice": "alloy", "response_format": "midi"},
            "response_format",
        ),
        ({"model": "local/transcribe", "input": "hi", "voice": "alloy"}, "model"),
    ],
)
def test_bad_speech_requests(gateway: Gateway, body: dict[str, Any], param: str) -> None:
    response = gateway.client.post(
        "/v1/audio/speech", headers={"Authorization": f"Bearer {gateway.key}"}, json=body
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


def test_usage_reports_audio_seconds_and_images(gateway: Gateway) -> None:
    speak(gateway)  # 2.64 s
    gateway.openai().images.generate(model="local/image", prompt="x", n=3, size="16x16")
    rows = gateway.client.get(
        "/v1/usage", params={"group_by": "model"}, headers={"Authorization": f"Bearer {gateway.key}"}
    ).json()["data"]
    by_model = {row["model"]: row for row in rows}
    assert by_model["local/speech"]["audio_seconds"] == 2.64 and by_model["local/image"]["images"] == 3
