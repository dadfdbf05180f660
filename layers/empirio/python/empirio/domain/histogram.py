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

    def add_value(self, ms: int) -> None:
        self.counts[bisect.bisect_left(BUCKETS_MS, ms)] += 1

    def add(self, other: Histogram) -> None:
        if any(other.counts):
            self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]

    @property
    def total(self) -> int:
        return sum(self.counts)

    def percentile(self, q: float) -> int | None:
        """The ``q`` percentile (0 < q ≤ 100), interpolated linearly inside its bucket; None when empty. Values
        past the last bound are reported as that bound (a floor)."""
        total = self.total
        if not total:
            return None
        rank = q / 100 * total
        seen = 0
        for index, count in enumerate(self.counts):
            if count and seen + count >= rank:
                low = BUCKETS_MS[index - 1] if index else 0
                if index == len(BUCKETS_MS):
                    return low
                return round(low + (BUCKETS_MS[index] - low) * max(rank - seen, 0) / count)
            seen += count
        return BUCKETS_MS[-1]

    def pack(self) -> list[int]:
        """Trailing empty buckets dropped (most requests are fast)."""
        end = len(self.counts)
        while end and not self.counts[end - 1]:
            end -= 1
        return self.counts[:end]

    @classmethod
    def unpack(cls, counts: list[int]) -> Histogram:
        hist = cls()
        hist.counts[: len(counts)] = [int(c) for c in counts]
        return hist
