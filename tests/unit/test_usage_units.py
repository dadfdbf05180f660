"""Usage totals carry the units of the endpoints that are not chat, through rollup cells and back; cells packed
before those units existed read as zero."""

from __future__ import annotations

from empirio.domain.usage import Totals, pack_cells, unpack_cells
from empirio.domain.usage_record import UsageRecord


def test_units_survive_packing_and_old_cells_read_as_zero() -> None:
    totals = Totals()
    totals.add_record(UsageRecord.from_item({"cost": 20_000, "images": 2, "created_at": 10, "latency_ms": 5}))
    totals.add_record(
        UsageRecord.from_item({"cost": 528, "audio_ms": 2_640, "created_at": 11, "latency_ms": 7})
    )
    back = unpack_cells(0, pack_cells(0, {(0, "local/image", "key_1", ""): totals}))
    (only,) = back.values()
    assert (only.images, only.audio_ms, only.video_ms, only.cost, only.requests) == (2, 2_640, 0, 20_528, 2)
    old = Totals.unpack([3, 10, 20, 0, 0, 900, 1_700_000_000, [], []])  # a cell of the previous release
    assert (old.requests, old.cost, old.images, old.audio_ms) == (3, 900, 0, 0)


def test_csv_cells_keep_numbers_and_never_start_a_formula() -> None:
    from empirio.reports.generations import csv_cell

    assert [csv_cell(v) for v in ("-5.00", "0.000123", 42, None)] == ["-5.00", "0.000123", "42", ""]
    assert [csv_cell(v) for v in ("=HYPERLINK(1)", "+1", "-x", "@sum")] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-x",
        "'@sum",
    ]
