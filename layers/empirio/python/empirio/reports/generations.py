"""Per-request records: the generations list (filters, cursor) and its CSV export (every row, streamed)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from empirio.domain.money import format_usd
from empirio.domain.usage_record import UsageRecord
from empirio.errors import InvalidRequestError, NotFoundError
from empirio.store.usage import UsageStore

_ID_PREFIXES = ("chatcmpl-", "msg_", "resp_", "req_")
FILTERS = ("model", "key_id", "status", "source", "app")
CSV_COLUMNS = (
    "created_at",
    "id",
    "model",
    "provider",
    "key_id",
    "key_name",
    "source",
    "app",
    "endpoint",
    "status",
    "billing_status",
    "finish_reason",
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_tokens",
    "cost",
    "latency_ms",
    "ttft_ms",
    "upstream_latency_ms",
    "streamed",
)


def request_id_of(generation_id: str) -> str:
    """Any id a client saw (``chatcmpl-…``, ``msg_…``, ``resp_…``) back to our request id."""
    for prefix in _ID_PREFIXES:
        if generation_id.startswith(prefix):
            return "req_" + generation_id[len(prefix) :]
    return generation_id


def generation_view(record: UsageRecord, key_names: dict[str, str] | None = None) -> dict[str, Any]:
    """GET /v1/generations/{id}'s body: the stored record less its index keys, account and house figures, with
    the app, the id, the cost in dollars and the defaults of records written before those fields existed."""
    outcome = record.outcome
    view = {
        k: v
        for k, v in record.to_item().items()
        if k not in {"sort_key", "hour_shard", "account_id", "price", "house_loss"}
    }
    view.update(
        app=outcome.app,
        http_referer=outcome.http_referer,
        app_title=outcome.app_title,
        id=record.request_id,
        object="generation",
        cost=format_usd(int(record.cost)),
        source=outcome.source or "api",
        billing_status=outcome.billing_status or "complete",
    )
    if key_names is not None:
        view["key_name"] = key_names.get(record.key_id or "", "")
    return view


def _owned(store: UsageStore, account_id: str, generation_id: str, param: str) -> UsageRecord:
    record = store.record(request_id_of(generation_id))
    if record is None or record.account_id != account_id:
        raise NotFoundError(
            f"No generation with id {generation_id!r}.", param=param, code="generation_not_found"
        )
    return record


def generation(
    store: UsageStore, account_id: str, generation_id: str, key_names: dict[str, str] | None = None
) -> dict[str, Any]:
    return generation_view(_owned(store, account_id, generation_id, "id"), key_names)


def filters_of(**values: str | None) -> dict[str, str]:
    unknown = set(values) - set(FILTERS)
    assert not unknown, unknown
    return {k: v for k, v in values.items() if v}


def list_generations(
    store: UsageStore,
    account_id: str,
    start: int,
    end: int,
    filters: dict[str, str],
    limit: int,
    after: str | None,
    key_names: dict[str, str],
) -> dict[str, Any]:
    """Newest first; ``after`` is the id of the last generation of the previous page (OpenAI's cursor)."""
    before = None
    if after:
        try:
            before = _owned(store, account_id, after, "after").sort_key
        except NotFoundError:
            raise InvalidRequestError(
                f"Invalid value for 'after': no generation {after!r}.", param="after"
            ) from None
    page = list(
        islice(
            store.iter_records(
                account_id, start, end, filters, before=before, page_size=min(limit + 1, 1000)
            ),
            limit + 1,
        )
    )
    data = [generation_view(r, key_names) for r in page[:limit]]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(page) > limit,
    }


_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: a key name like "=HYPERLINK(...)" must not become a formula
    (numbers, negative amounts included, stay numbers)."""
    text = "" if value is None else str(value)
    if _NUMBER.match(text):
        return text
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def export_csv(
    store: UsageStore,
    account_id: str,
    start: int,
    end: int,
    filters: dict[str, str],
    key_names: dict[str, str],
) -> Iterator[str]:
    """Every matching record, oldest first, as CSV chunks: one per page read, so no row cap and no buffering."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    records = store.iter_records(account_id, start, end, filters, newest_first=False, page_size=1000)
    for rows, record in enumerate(records, start=1):
        view = generation_view(record, key_names)
        view["created_at"] = datetime.fromtimestamp(int(record.created_at), UTC).isoformat()
        writer.writerow([csv_cell(view.get(c)) for c in CSV_COLUMNS])
        if rows % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
