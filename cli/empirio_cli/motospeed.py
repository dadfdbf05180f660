"""Local only: two shortcuts that keep moto fast on large tables, without changing a single answer.

1. Ordered lookups for queries on append-only secondary indexes. moto answers every index query by sorting all
of the table's items (about 1 s for one query over 100,000 usage records), so a console page over a large
account would measure moto, not us. For indexes whose items are only ever added (the usage records'), this
keeps a sorted list per index partition, narrows each query to the items the key condition and Limit can
reach, and hands only those to moto's own query code, which then applies the same conditions, filter, Limit
and LastEvaluatedKey as before.

2. JSON for Query and Scan results. moto renders each response by walking botocore's shape model value by value
(about 2.5 ms an item); DynamoDB's JSON protocol is the attribute-value dicts moto already holds, so those two
operations are written with json.dumps (binary values base64-encoded, as on the wire).
"""

from __future__ import annotations

import base64
import bisect
import json
import weakref
from collections.abc import Callable
from typing import Any

_registered: set[tuple[str, str]] = set()
_caches: dict[tuple[int, str], _IndexCache] = {}
_patched = False


class _IndexCache:
    """index hash value → [(range value, item)] sorted, for one table object; catches up with appended items."""

    def __init__(self, table: Any, hash_attr: str, range_attr: str) -> None:
        self.table = weakref.ref(table)
        self.hash_attr = hash_attr
        self.range_attr = range_attr
        self.seen: set[Any] = set()
        self.parts: dict[str, tuple[list[str], list[Any]]] = {}

    def catch_up(self, table: Any) -> None:
        if len(self.seen) == len(table.items):
            return
        added: dict[str, list[tuple[str, Any]]] = {}
        for key, item in table.items.items():
            if key in self.seen:
                continue
            self.seen.add(key)
            hash_value = item.attrs.get(self.hash_attr)
            range_value = item.attrs.get(self.range_attr)
            if hash_value is not None and range_value is not None:  # else not in the (sparse) index
                added.setdefault(str(hash_value.value), []).append((str(range_value.value), item))
        for part, entries in added.items():
            keys, items = self.parts.get(part, ([], []))
            merged = sorted([*zip(keys, items, strict=True), *entries], key=lambda entry: entry[0])
            self.parts[part] = ([k for k, _ in merged], [i for _, i in merged])


def accelerate(table_name: str, index_name: str) -> None:
    """Declare an index of ``table_name`` append-only (its items are never updated nor deleted)."""
    _patch()
    _registered.add((table_name, index_name))


def _window(keys: list[str], comparison: str | None, values: list[str]) -> tuple[int, int]:
    n = len(keys)
    if comparison is None:
        return 0, n
    op = comparison.upper()
    if op in {"=", "EQ"}:
        return bisect.bisect_left(keys, values[0]), bisect.bisect_right(keys, values[0])
    if op in {"<", "LT"}:
        return 0, bisect.bisect_left(keys, values[0])
    if op in {"<=", "LE"}:
        return 0, bisect.bisect_right(keys, values[0])
    if op in {">", "GT"}:
        return bisect.bisect_right(keys, values[0]), n
    if op in {">=", "GE"}:
        return bisect.bisect_left(keys, values[0]), n
    if op == "BETWEEN":
        return bisect.bisect_left(keys, values[0]), bisect.bisect_right(keys, values[1])
    if op == "BEGINS_WITH":
        return bisect.bisect_left(keys, values[0]), bisect.bisect_left(keys, values[0] + "\U0010ffff")
    raise LookupError(op)


def _patch() -> None:
    global _patched
    if _patched:
        return
    from moto.dynamodb.models.table import Table

    original: Callable[..., Any] = Table.query

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
        narrowed = _narrow(self, index_name, args, kwargs)
        if narrowed is None:
            return original(self, *args, **kwargs)
        self.all_items = lambda: narrowed  # moto's query reads its candidates through all_items()
        try:
            return original(self, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
    _fast_json()
    _patched = True


def _fast_json() -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoResult

    original: Callable[..., Any] = DynamoResult.execute_result

    def execute_result(self: Any, context: Any) -> Any:
        result = self.result
        if context.operation_model.name not in {"Query", "Scan"} or not isinstance(result, dict):
            return original(self, context)
        status, headers, _ = original(
            ActionResult({k: v for k, v in result.items() if k != "Items"}), context
        )
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, json.dumps(result, default=_binary)

    DynamoResult.execute_result = execute_result  # type: ignore[method-assign]


def _binary(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value).__name__)


def _narrow(
    table: Any, index_name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[Any] | None:
    if not index_name or (table.name, index_name) not in _registered or table.range_key_attr:
        return None
    hash_conditions = kwargs.get("hash_key_conditions") or []
    range_conditions = kwargs.get("range_key_conditions") or []
    extra = set(kwargs) - {"hash_key_conditions", "range_key_conditions"}
    if len(hash_conditions) != 1 or len(range_conditions) > 1 or extra or len(args) > 10:
        return None
    _, range_comparison, range_objs, limit, start_key, forward = args[:6]
    index = table.get_index(index_name)
    schema = {k["KeyType"]: k["AttributeName"] for k in index.schema}
    if "RANGE" not in schema or hash_conditions[0][0] != schema["HASH"]:
        return None
    cache = _caches.get((id(table), index_name))
    if cache is None or cache.table() is not table:  # a table moto replaced (rollback) gets a fresh cache
        cache = _caches[(id(table), index_name)] = _IndexCache(table, schema["HASH"], schema["RANGE"])
    cache.catch_up(table)
    keys, items = cache.parts.get(str(hash_conditions[0][1].value), ([], []))
    try:
        lo, hi = _window(keys, range_comparison, [str(o.value) for o in range_objs])
    except LookupError:
        return None
    if start_key:
        after = str(start_key.get(schema["RANGE"], {}).get("S", ""))
        if forward is False:
            hi = min(hi, bisect.bisect_left(keys, after))
        else:
            lo = max(lo, bisect.bisect_right(keys, after))
    if limit:
        # moto walks the candidates in order and stops after `limit`: one more tells it that more remain.
        lo, hi = (max(lo, hi - limit - 1), hi) if forward is False else (lo, min(hi, lo + limit + 1))
    return items[lo:hi]
