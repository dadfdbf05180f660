"""GET /v1/generations (cursor, filters), its CSV export, and usage days in three time zones, on seeded records."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from empirio.domain.money import format_usd
from empirio.services.rollup import run_rollup
from empirio_cli.seed import usage_records, write_records
from tests.conftest import sign_up

DAY = 86400


@pytest.fixture
def manage(operator: Any, account: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {operator.create_key(account['id'], ('manage',))}"}


def _seed(aws: Any, account_id: str, count: int, start: int, end: int, seed: int = 7) -> list[dict[str, Any]]:
    records = usage_records(account_id, count, start, end, seed=seed)
    write_records(aws, records)
    return records


@pytest.mark.parametrize("tz", ["UTC", "Asia/Kolkata", "America/Los_Angeles"])
def test_days_in_the_zone_sum_to_the_range_total_and_match_every_record(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str], tz: str
) -> None:
    now = int(time.time())
    start, end = now - 3 * DAY - 1234, now - 600
    records = _seed(aws, account["id"], 2000, start - 3600, now)
    # Closed hours come from rollups; partial hours, hours a local midnight cuts and the open hour from records.
    run_rollup(aws.usage, now, window_hours=3 * 24 + 2)
    body = client.get(
        "/v1/usage",
        params={"start": start, "end": end, "group_by": "day", "tz": tz, "limit": 1000},
        headers=manage,
    ).json()
    zone = ZoneInfo(tz)
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        if start <= r["created_at"] < end:
            day = datetime.fromtimestamp(r["created_at"], zone).strftime("%Y-%m-%d")
            expected[day][0] += r["cost"]
            expected[day][1] += 1
    assert {row["day"]: (row["cost"], row["requests"]) for row in body["data"]} == {
        day: (format_usd(cost), n) for day, (cost, n) in expected.items()
    }
    assert body["totals"]["cost"] == format_usd(sum(c for c, _ in expected.values()))
    assert body["timezone"] == tz


def test_the_accounts_time_zone_is_the_default_for_days(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str]
) -> None:
    assert client.patch("/v1/account", json={"timezone": "Mars/Base"}, headers=manage).status_code == 400
    assert client.patch("/v1/account", json={"timezone": "Asia/Kolkata"}, headers=manage).json()[
        "timezone"
    ] == ("Asia/Kolkata")
    assert (
        client.get("/v1/usage", params={"group_by": "day"}, headers=manage).json()["timezone"]
        == "Asia/Kolkata"
    )


def test_generation_pages_are_complete_stable_and_newest_first(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str]
) -> None:
    now = int(time.time())
    records = _seed(aws, account["id"], 230, now - 2 * DAY, now - 60)
    seen: list[str] = []
    after = None
    while True:
        params: dict[str, Any] = {"limit": 50, **({"after": after} if after else {})}
        page = client.get("/v1/generations", params=params, headers=manage).json()
        seen += [g["id"] for g in page["data"]]
        if len(seen) == 50:  # newer requests arriving mid-way change nothing for the pages still to come
            _seed(aws, account["id"], 5, now - 30, now, seed=99)
        if not page["has_more"]:
            break
        after = page["last_id"]
    expected = [r["request_id"] for r in sorted(records, key=lambda r: r["sort_key"], reverse=True)]
    assert seen == expected and len(set(seen)) == 230


def test_generation_filters_and_bad_cursors(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str]
) -> None:
    now = int(time.time())
    records = _seed(aws, account["id"], 400, now - DAY, now)
    counts = Counter((r["model"], r["status"]) for r in records)
    model, status = next(iter(counts))
    got = client.get(
        "/v1/generations", params={"model": model, "status": status, "limit": 500}, headers=manage
    ).json()
    assert len(got["data"]) == counts[(model, status)] and not got["has_more"]
    assert {(g["model"], g["status"]) for g in got["data"]} == {(model, status)}
    bad = client.get("/v1/generations", params={"after": "req_nope"}, headers=manage)
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "after"
    other = client.get("/v1/generations", params={"start": now, "end": now - 10}, headers=manage)
    assert other.status_code == 400


def test_csv_export_streams_every_row_of_the_range(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str]
) -> None:
    now = int(time.time())
    records = _seed(aws, account["id"], 5000, now - 5 * DAY, now)
    chunks = []
    with client.stream("GET", "/v1/generations/export", headers=manage) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        chunks = list(response.iter_text())
    rows = list(csv.DictReader(io.StringIO("".join(chunks))))
    assert [r["id"] for r in rows] == [r["request_id"] for r in sorted(records, key=lambda r: r["sort_key"])]
    assert sum(int(r["input_tokens"]) for r in rows) == sum(r["input_tokens"] for r in records)
    assert len(chunks) > 1  # written page by page, not built in memory


def test_dashboard_figures_agree_with_the_usage_api_to_the_micro_dollar(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "numbers@example.com")
    person.client.patch("/v1/account", json={"timezone": "Asia/Kolkata"}, headers=person.write_headers())
    now = int(time.time())
    _seed(aws, person.account_id, 2000, now - 8 * DAY, now)
    run_rollup(aws.usage, now, window_hours=8 * 24)
    page = person.client.get("/console").text
    zone = ZoneInfo("Asia/Kolkata")
    for label, days_back in (("Today", 0), ("Last 7 days", 6), ("Last 30 days", 29)):
        local = datetime.fromtimestamp(now, zone).date()
        start = int(datetime(local.year, local.month, local.day, tzinfo=zone).timestamp()) - days_back * DAY
        api = person.client.get(
            "/v1/usage", params={"start": start, "end": int(time.time()) + 1, "group_by": "day"}
        ).json()["totals"]
        # The exact amount rides in the money element's value (the figure shows it with thousands separators).
        row = re.search(
            rf"<th scope=\"row\">{label}</th><td[^>]*><data class=\"money\" value=\"([0-9.]+)\"", page
        )
        assert row and row.group(1) == api["cost"], label


def test_usage_latency_percentiles_are_the_dashboards(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "latency@example.com")
    now = int(time.time())
    _seed(aws, person.account_id, 600, now - DAY + 5, now)
    run_rollup(aws.usage, now, window_hours=25)
    api = person.client.get(
        "/v1/usage", params={"start": now - DAY, "end": now + 1, "group_by": "model", "latency": "true"}
    ).json()
    page = person.client.get("/console").text
    for row in api["data"]:
        p50, p95 = row["latency_ms"]["p50"], row["latency_ms"]["p95"]
        assert 200 <= p50 <= p95 <= 10_000  # the seeded latencies lie in 200-9000 ms; buckets end at 10 s
        assert f'<code>{row["model"]}</code></td><td class="num">{row["requests"]:,}</td>' in page
        assert f'≈ {p50:,} ms</td><td class="num">≈ {p95:,} ms' in page


def test_the_logs_page_reads_from_and_to_in_the_accounts_zone(console_app: Any, aws: Any) -> None:
    person = sign_up(console_app, "window@example.com")
    person.client.patch("/v1/account", json={"timezone": "Asia/Kolkata"}, headers=person.write_headers())
    zone = ZoneInfo("Asia/Kolkata")
    inside = int(datetime(2026, 11, 30, 10, 15, tzinfo=zone).timestamp())
    outside = int(datetime(2026, 11, 30, 9, 45, tzinfo=zone).timestamp())
    records = usage_records(person.account_id, 2, inside, inside + 1, seed=3)
    records[1] = usage_records(person.account_id, 1, outside, outside + 1, seed=4)[0]
    write_records(aws, records)
    page = person.client.get("/console/logs", params={"start": "2026-11-30T10:00", "end": "2026-11-30T11:00"})
    shown = re.findall(r'href="/console/logs/(req_\w+)"', page.text)
    assert shown == [records[0]["request_id"]]
    assert "2026-11-30 10:15:00" in page.text  # shown in the account's zone too


def test_a_generation_still_settling_can_be_waited_for(
    client: Any, aws: Any, account: dict[str, Any], manage: dict[str, str]
) -> None:
    now = int(time.time())
    [record] = usage_records(account["id"], 1, now - 10, now, seed=3)
    later = threading.Timer(0.3, write_records, (aws, [record]))
    later.start()
    got = client.get(f"/v1/generations/{record['request_id']}", params={"wait": 5}, headers=manage)
    later.join()
    assert got.status_code == 200 and got.json()["id"] == record["request_id"]
    missing = client.get("/v1/generations/req_never", params={"wait": 0.2}, headers=manage)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "generation_not_found"
    too_long = client.get("/v1/generations/req_never", params={"wait": 60}, headers=manage)
    assert too_long.status_code == 400 and too_long.json()["error"]["param"] == "wait"
