"""WAV files (pure): build one (16-bit PCM, mono) and read one's exact duration and its comment. The local speech
model writes its text into the file's INFO comment, so the local transcriber can read it back."""

from __future__ import annotations

import math
import struct
import sys
from array import array
from dataclasses import dataclass
from fractions import Fraction

SAMPLE_RATE = 24_000


@dataclass(frozen=True)
class WavInfo:
    seconds: Fraction  # exact: frames / rate
    sample_rate: int
    channels: int
    comment: str | None = None


def build(seconds: Fraction, comment: str, tone_hz: float = 220.0, rate: int = SAMPLE_RATE) -> bytes:
    """A mono 16-bit PCM WAV of exactly ``seconds`` (rounded to whole frames): a soft tone, and ``comment`` in a
    LIST/INFO/ICMT chunk."""
    frames = math.floor(seconds * rate)
    step = 2 * math.pi * tone_hz / rate
    pcm = array("h", (int(3000 * math.sin(step * i)) for i in range(frames)))
    if sys.byteorder == "big":
        pcm.byteswap()
    return wrap_pcm(pcm.tobytes(), rate, comment)


def wrap_pcm(samples: bytes, rate: int, comment: str = "") -> bytes:
    """16-bit mono little-endian PCM in a WAV container (with ``comment`` in a LIST/INFO/ICMT chunk)."""
    samples = samples[: len(samples) // 2 * 2]
    text = comment.encode("utf-8", "replace") + b"\x00"
    if len(text) % 2:
        text += b"\x00"
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(text)) + text
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"LIST"
        + struct.pack("<I", len(info))
        + info
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read(data: bytes) -> WavInfo | None:
    """The duration (and comment) of a PCM WAV, or None when ``data`` is not one we can read."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    position, rate, channels, block, frames_bytes, comment = 12, 0, 0, 0, None, None
    while position + 8 <= len(data):
        kind = data[position : position + 4]
        size = struct.unpack("<I", data[position + 4 : position + 8])[0]
        chunk = data[position + 8 : position + 8 + size]
        if kind == b"fmt " and len(chunk) >= 16:
            _, channels, rate, _, block, _ = struct.unpack("<HHIIHH", chunk[:16])
        elif kind == b"data":
            frames_bytes = min(size, len(data) - position - 8)
        elif kind == b"LIST" and chunk[:4] == b"INFO":
            comment = _comment(chunk[4:])
        position += 8 + size + (size % 2)
    if not rate or not block or frames_bytes is None:
        return None
    return WavInfo(Fraction(frames_bytes // block, rate), rate, channels, comment)


def _comment(info: bytes) -> str | None:
    position = 0
    while position + 8 <= len(info):
        kind = info[position : position + 4]
        size = struct.unpack("<I", info[position + 4 : position + 8])[0]
        if kind == b"ICMT":
            return info[position + 8 : position + 8 + size].rstrip(b"\x00").decode("utf-8", errors="replace")
        position += 8 + size + (size % 2)
    return None
