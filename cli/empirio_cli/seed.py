"""Local only: many usage records for one account, written straight into moto's table (tests and benchmarks).

Records have the shape the settle transaction writes. Going around boto3 is what makes 100,000 records take
seconds instead of minutes; nothing reads them differently for it.
"""

from __future__ import annotations

import random
from typing import Any

from empirio.domain.usage import hour_shard
from empirio.store.dynamo import to_item
from empirio.store.tables import USAGE


def usage_records(
    account_id: str,
    count: int,
    start: int,
    end: int,
    models: tuple[str, ...] = ("openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "local/echo"),
    key_ids: tuple[str, ...] = ("key_a", "key_b"),
    seed: int = 7,
) -> list[dict[str, Any]]:
    """``count`` plausible records spread uniformly over [start, end)."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        created = rng.randrange(start, end)
        request_id = f"req_seed{seed}_{i:07d}"
        streamed = rng.random() < 0.5
        records.append(
            {
                "request_id": request_id,
                "account_id": account_id,
                "key_id": rng.choice(key_ids),
                "model": rng.choice(models),
                "provider": "openai",
                "created_at": created,
                "sort_key": f"{created:012d}#{request_id}",
                "hour_shard": hour_shard(created, request_id),
                "input_tokens": rng.randrange(10, 4000),
                "output_tokens": rng.randrange(1, 1000),
                "cached_input_tokens": 0,
                "reasoning_tokens": 0,
                "cost": rng.randrange(1, 20_000),
                "endpoint": "/v1/chat/completions",
                "source": "api",
                "streamed": streamed,
                "finish_reason": "stop",
                "status": "ok" if rng.random() < 0.97 else "error",
                "latency_ms": rng.randrange(200, 9000),
                "ttft_ms": rng.randrange(100, 900) if streamed else None,
            }
        )
    return records


def write_records(context: Any, records: list[dict[str, Any]]) -> None:
    """Put records into moto's usage table directly (the process must be running moto)."""
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]

    name = context.settings.table_name(USAGE.logical)
    backend = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][context.settings.region]
    table = backend.get_table(name)
    for record in records:
        table.put_item(to_item(record))
