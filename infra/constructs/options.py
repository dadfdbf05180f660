"""Stage options read from CDK context (`-c name=value`): one of a fixed set, the first being the default."""

from __future__ import annotations


def choice(name: str, value: object, options: tuple[str, ...]) -> str:
    """``value`` if it is one of ``options``, ``options[0]`` when unset; anything else is refused by name."""
    picked = str(value or options[0])
    if picked not in options:
        raise ValueError(f"unknown {name} {picked!r}: use {' or '.join(options)}")
    return picked
