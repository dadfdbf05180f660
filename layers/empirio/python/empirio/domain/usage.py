"""Usage aggregation: per-request records folded into totals by model, key, day and hour (pure).

A record is an ``empirio.domain.usage_record.UsageRecord``; hours are UTC epoch seconds at the start of the hour.
Rollups and the raw-record path of GET /v1/usage use the same functions, so their sums agree by construction.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from empirio.domain.histogram import Histogram
from empirio.domain.usage_record import UsageRecord

HOUR = 3600
# Rollups keep 15-minute cells (inside hourly items): every UTC offset in use is a multiple of 15 minutes, so a
# local midnight never cuts a cell and days in any zone come from rollups.
QUARTER = 900
HOUR_SHARDS = 8  # the by_hour index partition is spread over this many keys per hour
GROUPS = ("model", "key", "app", "day", "hour")
TOTAL_FIELDS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "cost",
)
# Units of the endpoints that are not chat, packed after the histograms (cells packed before them read as 0).
UNIT_FIELDS = ("images", "audio_ms", "video_ms")


def hour_of(timestamp: int) -> int:
    return timestamp - timestamp % HOUR


def quarter_of(timestamp: int) -> int:
    return timestamp - timestamp % QUARTER


def hour_shard(timestamp: int, request_id: str) -> str:
    """The by_hour index key of a record (the hour, then a shard from the request id)."""
    return f"{hour_of(timestamp):012d}#{zlib.crc32(request_id.encode()) % HOUR_SHARDS:02d}"


def hour_shards(hour: int) -> list[str]:
    return [f"{hour:012d}#{shard:02d}" for shard in range(HOUR_SHARDS)]


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    cost: int = 0  # micro-USD charged
    images: int = 0
    audio_ms: int = 0  # audio produced or transcribed, milliseconds
    video_ms: int = 0
    last_at: int = 0  # epoch seconds of the group's latest request (0: none)
    latency: Histogram = field(default_factory=Histogram)  # total latency, ms
    ttft: Histogram = field(default_factory=Histogram)  # time to first token of streamed requests, ms

    def add_record(self, record: UsageRecord) -> None:
        self.requests += 1
        for name in TOTAL_FIELDS[1:]:
            setattr(self, name, getattr(self, name) + int(getattr(record, name) or 0))
        for name in UNIT_FIELDS:
            setattr(self, name, getattr(self, name) + int(getattr(record.outcome.units, name) or 0))
        self.last_at = max(self.last_at, int(record.created_at or 0))
        if record.outcome.latency_ms is not None:
            self.latency.add_value(int(record.outcome.latency_ms))
        if record.outcome.ttft_ms is not None:
            self.ttft.add_value(int(record.outcome.ttft_ms))

    def add(self, other: Totals) -> None:
        for name in (*TOTAL_FIELDS, *UNIT_FIELDS):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.last_at = max(self.last_at, other.last_at)
        self.latency.add(other.latency)
        self.ttft.add(other.ttft)

    def as_dict(self) -> dict[str, int]:
        """The summed fields (what the usage API shows)."""
        return {name: getattr(self, name) for name in (*TOTAL_FIELDS, *UNIT_FIELDS)}

    def pack(self) -> list[Any]:
        return [
            *(getattr(self, f) for f in TOTAL_FIELDS),
            self.last_at,
            self.latency.pack(),
            self.ttft.pack(),
            *(getattr(self, f) for f in UNIT_FIELDS),
        ]

    @classmethod
    def unpack(cls, values: list[Any], latency: bool = True) -> Totals:
        """A packed cell; ``latency=False`` leaves the histograms empty (cheaper when only sums are wanted)."""
        totals = cls()
        for name, value in zip(TOTAL_FIELDS, values, strict=False):
            setattr(totals, name, int(value))
        rest = values[len(TOTAL_FIELDS) :]
        totals.last_at = int(rest[0])
        for name, value in zip(UNIT_FIELDS, rest[3:], strict=False):
            setattr(totals, name, int(value))
        if latency:
            totals.latency, totals.ttft = Histogram.unpack(rest[1]), Histogram.unpack(rest[2])
        return totals


_CELL = "\u001f"  # between the parts of a packed cell's name (no model, key id or app contains it)
Cell = tuple[int, str, str, str]  # (quarter start, model, key id, app)


def pack_cells(hour: int, cells: dict[Cell, Totals]) -> str:
    """One account-hour's totals per quarter, model, key and app as compact JSON: one small item, not one per
    cell. A cell of no app keeps the three-part name cells had before apps were recorded."""
    return json.dumps(
        {
            _CELL.join([str((q - hour) // QUARTER), m, k, *([a] if a else [])]): t.pack()
            for (q, m, k, a), t in sorted(cells.items())
        },
        separators=(",", ":"),
    )


def unpack_cells(hour: int, text: str, latency: bool = True) -> dict[Cell, Totals]:
    cells = {}
    for name, values in json.loads(text).items():
        offset, model, key_id, *app = name.split(_CELL)
        cells[(hour + int(offset) * QUARTER, model, key_id, app[0] if app else "")] = Totals.unpack(
            values, latency
        )
    return cells


def zone(name: str) -> ZoneInfo:
    """An IANA time zone by name; ValueError naming the problem when it is not one. (ZoneInfo refuses relative
    and absolute paths itself; listing every zone instead would read the whole tz database on a cold start.)"""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'"
        ) from None


UTC_ZONE = ZoneInfo("UTC")


def iso_hour(hour: int, tz: ZoneInfo = UTC_ZONE) -> str:
    """The hour's start: ``…T10:00:00Z`` in UTC, with the local offset elsewhere (``…T15:30:00+05:30``)."""
    if tz.key == "UTC":
        return datetime.fromtimestamp(hour, UTC).strftime("%Y-%m-%dT%H:00:00Z")
    return datetime.fromtimestamp(hour, tz).isoformat()


def iso_day(timestamp: int, tz: ZoneInfo = UTC_ZONE) -> str:
    """The calendar day of ``timestamp`` in ``tz``."""
    return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d")


def day_starts(start: int, end: int, tz: ZoneInfo) -> list[int]:
    """Epoch seconds of every local midnight in (start, end): where one day of ``tz`` ends and the next begins."""
    local = datetime.fromtimestamp(start, tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    cuts: list[int] = []
    while True:
        midnight = (midnight + timedelta(days=1, hours=3)).replace(hour=0, minute=0, second=0)
        stamp = int(midnight.timestamp())
        if stamp >= end:
            return cuts
        if stamp > start:
            cuts.append(stamp)


def group_key(
    model: str,
    key_id: str,
    hour: int,
    group_by: tuple[str, ...],
    tz: ZoneInfo = UTC_ZONE,
    at: int | None = None,
    labels: dict[int, tuple[str, str]] | None = None,
    app: str = "",
) -> tuple[str, ...]:
    """The group of a record or rollup cell: ``hour`` its UTC hour, ``at`` its time (a cell's start; it never
    straddles a day cut). ``labels`` memoizes the day and hour labels of each time across calls."""
    when = hour if at is None else at
    if labels is None:
        day, hour_label = iso_day(when, tz), iso_hour(hour, tz)
    else:
        day, hour_label = labels.get(when) or labels.setdefault(when, (iso_day(when, tz), iso_hour(hour, tz)))
    values = {"model": model, "key": key_id, "app": app, "day": day, "hour": hour_label}
    return tuple(values[g] for g in group_by)


def split_range(
    start: int, end: int, cuts: Iterable[int], watermark: int
) -> tuple[list[int], list[tuple[int, int]]]:
    """Which parts of [start, end) to read from rollups and which from raw records.

    The range is cut at ``cuts`` (local midnights when grouping by day, multiples of 15 minutes) so no rolled-up
    cell straddles a group boundary; inside each piece, whole quarter hours before the rollup ``watermark`` (an
    hour) come from rollups (returned as quarter starts) and the rest from raw records (returned as merged
    [a, b) ranges). Each second of the range is in exactly one of the two, so the groups sum to the range total.
    """
    points = sorted({start, end, *(c for c in cuts if start < c < end)})
    quarters: list[int] = []
    raw: list[tuple[int, int]] = []

    def add_raw(a: int, b: int) -> None:
        if b <= a:
            return
        if raw and raw[-1][1] == a:
            raw[-1] = (raw[-1][0], b)
        else:
            raw.append((a, b))

    for a, b in itertools.pairwise(points):
        first = quarter_of(a + QUARTER - 1)
        last = min(quarter_of(b), hour_of(watermark))
        if last > first:
            add_raw(a, first)
            quarters.extend(range(first, last, QUARTER))
            add_raw(last, b)
        else:
            add_raw(a, b)
    return quarters, raw


def rollup_rows(records: Iterable[UsageRecord]) -> dict[tuple[str, int, str, str, str], Totals]:
    """(account, quarter hour, model, key, app) → totals: what the rollup stores for the records of closed
    hours."""
    rows: dict[tuple[str, int, str, str, str], Totals] = {}
    for record in records:
        key = (
            record.account_id,
            quarter_of(int(record.created_at)),
            record.outcome.model,
            record.key_id or "",
            record.outcome.app or "",
        )
        rows.setdefault(key, Totals()).add_record(record)
    return rows


def parse_group_by(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    groups = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown group_by {unknown}; allowed: {', '.join(GROUPS)}")
    return groups
