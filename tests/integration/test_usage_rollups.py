"""Rollups always equal the sum of the raw records, whatever the traffic, lateness and re-runs; and GET /v1/usage
is exact and current: rolled-up closed hours plus raw records for the rest."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from empirio.context import Context
from empirio.domain.money import format_usd
from empirio.domain.usage import HOUR, hour_of, hour_shard, rollup_rows
from empirio.domain.usage_record import UsageRecord
from empirio.reports.usage import usage
from empirio.services.rollup import run_rollup
from empirio.settings import Settings
from empirio.store.dynamo import to_item
from empirio_cli.localaws import create_tables, start_mock_aws

T0 = 1_800_000_000 - 1_800_000_000 % HOUR  # an hour boundary


def record(i: int, account: str, model: str, key: str, created: int, tokens: int) -> dict[str, Any]:
    rid = f"req_{i:06d}"
    app = ("", "Acme Writer", "https://bolt.example")[i % 3]
    return {
        **({"app": app} if app else {}),
        "request_id": rid,
        "account_id": account,
        "key_id": key,
        "model": model,
        "created_at": created,
        "sort_key": f"{created:012d}#{rid}",
        "hour_shard": hour_shard(created, rid),
        "input_tokens": tokens,
        "output_tokens": tokens * 2,
        "cached_input_tokens": 0,
        "reasoning_tokens": 0,
        "cost": tokens * 3,
    }


# (account, model, key, lag: how long before the run's clock it was created, tokens, the run it arrives before).
# A lag of hours puts a record into hours that earlier runs already rolled up: a late record. Lateness stays
# within the rollup's trailing window (24 h), the promise the job makes.
traffic = st.lists(
    st.tuples(
        st.sampled_from(["acct_a", "acct_b"]),
        st.sampled_from(["m/1", "m/2", "m/3"]),
        st.sampled_from(["key_1", "key_2"]),
        st.integers(0, 20 * HOUR),
        st.integers(1, 500),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(traffic, st.lists(st.integers(1, 6 * HOUR), min_size=1, max_size=4))
def test_rollups_always_equal_the_sum_of_the_raw_records(rows: list[Any], gaps: list[int]) -> None:
    mock = start_mock_aws()
    try:
        context = Context(Settings.from_env())
        create_tables(context.client, context.settings)
        store = context.usage
        table = context.settings.table_name("usage")
        now = T0 + 21 * HOUR
        written: list[dict[str, Any]] = []
        for run in range(len(gaps) + 1):
            for i, (account, model, key, lag, tokens, arrives) in enumerate(rows):
                if min(arrives, len(gaps)) == run:
                    rec = record(i, account, model, key, now - lag, tokens)
                    context.client.put_item(TableName=table, Item=to_item(rec))
                    written.append(rec)
            report = run_rollup(store, now=now)
            if run == 0:
                report = run_rollup(store, now=now)  # re-running changes nothing
            expected = rollup_rows(
                UsageRecord.from_item(r) for r in written if hour_of(r["created_at"]) < report.watermark
            )
            stored = {}
            for account in ("acct_a", "acct_b"):
                for row in store.rollups_for_account(account, 0, report.watermark):
                    stored[(account, row["quarter"], row["model"], row["key_id"], row["app"])] = row["totals"]
            assert stored == expected
            if run < len(gaps):
                now += gaps[run]
        # and the API's answer, rollups + raw records, equals the raw records alone, for any range
        for start, end in (
            (T0, now + 1),
            (T0 + 1800, T0 + 7 * HOUR + 5),
            (T0 + 3 * HOUR, now + 1),
            (now - 2 * HOUR - 17, now + 1),
        ):
            got = usage(store, "acct_a", start, end, ("model",))
            raw = [r for r in written if r["account_id"] == "acct_a" and start <= r["created_at"] < end]
            assert got["totals"]["requests"] == len(raw)
            assert got["totals"]["input_tokens"] == sum(r["input_tokens"] for r in raw)
            assert got["totals"]["cost"] == format_usd(sum(r["cost"] for r in raw))
            by_model = {row["model"]: row["requests"] for row in got["data"]}
            assert sum(by_model.values()) == len(raw)
            by_app = {
                row["app"]: row["requests"] for row in usage(store, "acct_a", start, end, ("app",))["data"]
            }
            assert by_app == dict(Counter(r.get("app", "") for r in raw))
    finally:
        mock.stop()
