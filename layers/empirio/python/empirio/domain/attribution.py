"""App attribution (OpenRouter's headers): ``HTTP-Referer`` identifies the calling app by its URL and ``X-Title``
names it. Recorded with each request; the app a request counts for in usage is its title, else its URL. Pure."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 200  # characters kept of each header


def _clean(value: str | None) -> str | None:
    """The header as text fit to store and show: control characters dropped (they also separate the parts of a
    rollup cell's name), surrounding space trimmed, at most MAX_LENGTH characters; None when nothing is left."""
    if not value:
        return None
    text = "".join(c for c in value if unicodedata.category(c)[0] != "C").strip()
    return text[:MAX_LENGTH] or None


@dataclass(frozen=True)
class App:
    referer: str | None = None
    title: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> App:
        return cls(referer=_clean(headers.get("http-referer")), title=_clean(headers.get("x-title")))

    @property
    def name(self) -> str:
        """What usage groups by: the title, else the URL, else "" (no app)."""
        return self.title or self.referer or ""

    def as_record(self) -> dict[str, Any]:
        return {"app": self.name or None, "http_referer": self.referer, "app_title": self.title}
