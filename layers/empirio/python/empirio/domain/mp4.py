"""MP4 files (pure): read a movie's exact duration from its ``mvhd`` box (what a video's seconds are measured by),
and build the small, valid ISO BMFF file the local video model answers (its duration set, the prompt in a
``©cmt`` comment; no frames)."""

from __future__ import annotations

import struct
from fractions import Fraction

TIMESCALE = 1_000
_IDENTITY = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def build(seconds: Fraction, width: int, height: int, comment: str) -> bytes:
    """ftyp + moov (mvhd with ``seconds``, a udta comment) + an empty mdat."""
    duration = round(seconds * TIMESCALE)
    mvhd = struct.pack(">B3xIIII", 0, 0, 0, TIMESCALE, duration)
    mvhd += struct.pack(">IH10x", 0x10000, 0x100) + _IDENTITY + bytes(24) + struct.pack(">I", 2)
    text = comment.encode("utf-8", "replace")[:60_000]
    size_note = f"{width}x{height}".encode()
    udta = _box(b"\xa9cmt", struct.pack(">HH", len(text), 0) + text)
    udta += _box(b"\xa9fmt", struct.pack(">HH", len(size_note), 0) + size_note)
    return (
        _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41")
        + _box(b"moov", _box(b"mvhd", mvhd) + _box(b"udta", udta))
        + _box(b"mdat", b"")
    )


def _children(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """The boxes between ``start`` and ``end``: type → (payload start, payload end); the first of each type."""
    out: dict[bytes, tuple[int, int]] = {}
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1 and position + 16 <= end:
            size, header = struct.unpack(">Q", data[position + 8 : position + 16])[0], 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            break
        out.setdefault(kind, (position + header, position + size))
        position += size
    return out


def seconds(data: bytes) -> Fraction | None:
    """The movie's duration (mvhd duration / timescale), or None when ``data`` is not an MP4 we can read."""
    moov = _children(data, 0, len(data)).get(b"moov")
    if moov is None:
        return None
    mvhd = _children(data, *moov).get(b"mvhd")
    if mvhd is None:
        return None
    start, end = mvhd
    version = data[start] if start < end else -1
    if version == 0 and end - start >= 20:
        timescale, duration = struct.unpack(">II", data[start + 12 : start + 20])
    elif version == 1 and end - start >= 32:
        timescale, duration = struct.unpack(">IQ", data[start + 20 : start + 32])
    else:
        return None
    return Fraction(duration, timescale) if timescale else None


def comment(data: bytes) -> str | None:
    """The ``©cmt`` text of a file built here (the local video model's prompt)."""
    moov = _children(data, 0, len(data)).get(b"moov")
    udta = _children(data, *moov).get(b"udta") if moov else None
    cmt = _children(data, *udta).get(b"\xa9cmt") if udta else None
    if cmt is None:
        return None
    length = struct.unpack(">H", data[cmt[0] : cmt[0] + 2])[0]
    return data[cmt[0] + 4 : cmt[0] + 4 + length].decode("utf-8", "replace")
