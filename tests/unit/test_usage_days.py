"""Day boundaries in the account's time zone: how a range is split between hourly rollups and raw records."""

from __future__ import annotations

import itertools
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.histogram import BUCKETS_MS, Histogram
from empirio.domain.usage import HOUR, QUARTER, day_starts, iso_day, split_range, zone

T0 = 1_790_000_000  # 2026-09-21
ZONES = ["UTC", "Asia/Kolkata", "America/Los_Angeles", "Asia/Kathmandu", "Australia/Lord_Howe"]


@given(
    start=st.integers(T0, T0 + 40 * 86400),
    length=st.integers(1, 40 * 86400),
    watermark_offset=st.integers(-86400, 50 * 86400),
    name=st.sampled_from(ZONES),
)
def test_every_second_is_read_exactly_once_and_no_rolled_cell_straddles_a_local_midnight(
    start: int, length: int, watermark_offset: int, name: str
) -> None:
    end = start + length
    tz = zone(name)
    cuts = day_starts(start, end, tz)
    quarters, raw = split_range(start, end, cuts, T0 + watermark_offset)
    pieces = sorted([(q, q + QUARTER) for q in quarters] + raw)
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))  # no gap, no overlap
    for quarter in quarters:
        assert quarter % QUARTER == 0 and quarter + QUARTER <= T0 + watermark_offset
        assert iso_day(quarter, tz) == iso_day(quarter + QUARTER - 1, tz)
        assert not any(quarter < cut < quarter + QUARTER for cut in cuts)


def test_local_midnights_follow_the_zone_including_half_hour_offsets() -> None:
    kolkata = zone("Asia/Kolkata")
    cuts = day_starts(T0, T0 + 3 * 86400, kolkata)
    assert len(cuts) == 3
    assert all(datetime.fromtimestamp(c, kolkata).strftime("%H:%M") == "00:00" for c in cuts)
    assert all(c % HOUR == 1800 for c in cuts)  # +05:30: midnight falls on the half hour in UTC


def test_unknown_zone_names_are_refused_by_name() -> None:
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        try:
            zone(bad)
        except ValueError as error:
            assert "unknown time zone" in str(error)
        else:
            raise AssertionError(bad)


def test_histogram_percentiles_interpolate_inside_buckets_and_merge() -> None:
    empty = Histogram()
    assert empty.percentile(50) is None
    fast, slow, one = Histogram(), Histogram(), Histogram()
    for ms in range(1, 101):  # 1..100 ms: half in the 0-50 bucket, half in 50-100
        fast.add_value(ms)
    assert fast.percentile(50) == 50 and fast.percentile(95) == 95
    one.add_value(15)
    assert one.percentile(50) == one.percentile(95) == 15  # never outside what was seen
    slow.add_value(90_000)  # past the last bound
    assert slow.percentile(50) == 90_000
    fast.add(slow)
    assert fast.total == 101 and fast.percentile(100) == 90_000 and fast.low == 1
    assert Histogram.unpack(fast.pack()) == fast
    assert BUCKETS_MS[-1] == 60_000
