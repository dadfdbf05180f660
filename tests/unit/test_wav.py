"""WAV files: built with an exact length, read back with their duration and comment; anything else is refused."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain import wav


@given(
    hundredths=st.integers(1, 300),
    comment=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40),
)
def test_a_built_wav_reads_back_its_length_and_comment(hundredths: int, comment: str) -> None:
    seconds = Fraction(hundredths, 100)
    info = wav.read(wav.build(seconds, comment))
    assert info is not None and info.seconds == seconds and info.comment == comment


@given(st.binary(max_size=200))
def test_anything_reads_as_a_wav_or_none_without_failing(data: bytes) -> None:
    info = wav.read(b"RIFF\x00\x00\x00\x00WAVE" + data)
    assert info is None or info.seconds >= 0
