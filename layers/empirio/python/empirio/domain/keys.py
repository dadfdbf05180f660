"""API keys: generation, the CRC32 checksum that rejects typos offline, hashing for storage, display form.

Format (GitHub's token scheme): ``sk-empiriolabs-`` + 30 random base62 characters (178 bits) + 6 base62
characters encoding the CRC32 of the random part. Only the SHA-256 of the whole key is ever stored; the key is
shown once, afterwards as its prefix and last four characters.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib
from collections.abc import Iterable
from enum import StrEnum

KEY_PREFIX = "sk-empiriolabs-"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RANDOM_LEN = 30
_CHECKSUM_LEN = 6
KEY_LENGTH = len(KEY_PREFIX) + _RANDOM_LEN + _CHECKSUM_LEN


class Scope(StrEnum):
    """What a key may do: call models, or manage keys and read billing."""

    INFERENCE = "inference"
    MANAGE = "manage"


DEFAULT_SCOPES: tuple[Scope, ...] = (Scope.INFERENCE,)


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode("ascii")), _CHECKSUM_LEN)


def generate_key() -> str:
    """A new random API key with its checksum."""
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LEN))
    return KEY_PREFIX + random_part + _checksum(random_part)


def is_well_formed(candidate: str) -> bool:
    """True when ``candidate`` has the key's prefix, length, alphabet and a matching checksum.

    This runs before any database read, so a typo or a foreign token costs nothing.
    """
    if len(candidate) != KEY_LENGTH or not candidate.startswith(KEY_PREFIX):
        return False
    body = candidate[len(KEY_PREFIX) :]
    if any(c not in _ALPHABET for c in body):
        return False
    random_part, checksum = body[:_RANDOM_LEN], body[_RANDOM_LEN:]
    return secrets.compare_digest(_checksum(random_part), checksum)


def hash_key(key: str) -> str:
    """The stored form of a key: hex SHA-256 (the key has 178 random bits, so no salt or slow hash is needed)."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def display_key(key: str) -> str:
    """What is shown after creation: the prefix and the last four characters."""
    return f"{KEY_PREFIX}...{key[-4:]}"


def new_key_id() -> str:
    """A stable public identifier for a key, unrelated to its secret."""
    return "key_" + "".join(secrets.choice(_ALPHABET) for _ in range(16))


def parse_scopes(values: Iterable[str]) -> tuple[Scope, ...]:
    """Validate scope names; raises ``ValueError`` naming an unknown scope. Order is normalised, duplicates dropped."""
    scopes = set()
    for value in values:
        try:
            scopes.add(Scope(value))
        except ValueError:
            allowed = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {value!r}; allowed: {allowed}") from None
    if not scopes:
        raise ValueError("at least one scope is required")
    return tuple(s for s in Scope if s in scopes)


def pick_key(candidates: Iterable[str | None]) -> str | None:
    """The first header value holding a well-formed key (``Authorization: Bearer`` and ``x-api-key`` in order)."""
    for raw in candidates:
        if not raw:
            continue
        value = raw.strip()
        if value[:7].lower() == "bearer ":
            value = value[7:].strip()
        if is_well_formed(value):
            return value
    return None
