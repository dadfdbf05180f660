"""Latency histograms with fixed buckets: mergeable across hours and rollups, percentiles by interpolation (pure)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# Upper bounds in milliseconds; one more bucket holds everything slower.
BUCKETS_MS = (
    50,
    100,
    200,
    300,
    500,
    750,
    1000,
    1500,
    2000,
    3000,
    5000,
    7500,
    10000,
    15000,
    20000,
    30000,
    60000,
)


def _empty() -> list[int]:
    return [0] * (len(BUCKETS_MS) + 1)


@dataclass
class Histogram:
    counts: list[int] = field(default_factory=_empty)
    low: int = 0  # the smallest and largest values seen (0 when empty): percentiles never leave them
    high: int = 0

    def add_value(self, ms: int) -> None:
        self.low = min(self.low, ms) if self.total else ms
        self.high = max(self.high, ms)
        self.counts[bisect.bisect_left(BUCKETS_MS, ms)] += 1

    def add(self, other: Histogram) -> None:
        if not other.total:
            return
        self.low = min(self.low, other.low) if self.total else other.low
        self.high = max(self.high, other.high)
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def percentile(self, q: float) -> int | None:
        """The ``q`` percentile (0 < q ≤ 100), interpolated linearly inside its bucket (whose ends are narrowed
        to the smallest and largest values seen); None when empty."""
        total = self.total
        if not total:
            return None
        rank = q / 100 * total
        seen = 0
        for index, count in enumerate(self.counts):
            if count and seen + count >= rank:
                low = max(BUCKETS_MS[index - 1] if index else 0, self.low)
                high = min(BUCKETS_MS[index] if index < len(BUCKETS_MS) else self.high, self.high)
                return round(low + (high - low) * max(rank - seen, 0) / count)
            seen += count
        return self.high

    def pack(self) -> list[int]:
        """[low, high, counts…] with trailing empty buckets dropped (most requests are fast)."""
        end = len(self.counts)
        while end and not self.counts[end - 1]:
            end -= 1
        return [self.low, self.high, *self.counts[:end]]

    @classmethod
    def unpack(cls, packed: list[int]) -> Histogram:
        hist = cls(low=int(packed[0]), high=int(packed[1])) if packed else cls()
        counts = packed[2:]
        hist.counts[: len(counts)] = [int(c) for c in counts]
        return hist
