"""Local only: two shortcuts that keep moto fast on large tables, without changing a single answer.

1. Ordered lookups for queries on append-only secondary indexes. moto answers every index query by sorting all
of the table's items (about 1 s for one query over 100,000 usage records), so a console page over a large
account would measure moto, not us. For indexes whose items are only ever added (the usage records'), this
keeps a sorted list per index partition, narrows each query to the items the key condition and Limit can
reach, and hands only those to moto's own query code, which then applies the same conditions, filter, Limit
and LastEvaluatedKey as before.

2. Transactions back up only the items they touch. moto deep-copies every table a transaction names, to roll
back on failure, so each request copied the whole usage and ledger tables: after a few thousand requests a
request took tens of milliseconds and the dev server's memory grew by megabytes a request. The items a
transaction names are copied instead (the calls are serialized, so nothing else changes meanwhile) and put
back, with the index caches of those tables dropped, when moto would have rolled back.

3. DynamoDB items are not tracked. moto keeps every model instance it ever creates in a class-level list (for
its server's dashboard), so every item version, copy and read result stayed alive: about 3 KB a request.

4. JSON for Query and Scan results. moto renders each response by walking botocore's shape model value by value
(about 2.5 ms an item); DynamoDB's JSON protocol is the attribute-value dicts moto already holds, so those two
operations are written with json.dumps (binary values base64-encoded, as on the wire).
"""

from __future__ import annotations

import base64
import bisect
import copy
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
    _lean_transactions()
    _untracked_items()
    _patched = True


def _untracked_items() -> None:
    from moto.dynamodb.models.dynamo_type import Item

    def new(cls: type[Any], *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    Item.__new__ = staticmethod(new)  # type: ignore[method-assign]
    Item.instances_tracked.clear()  # type: ignore[attr-defined]


class _NoTableCopies:
    """Stands in for the ``copy`` module inside moto's transaction: tables are not copied (items are, by us)."""

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _lean_transactions() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models.dynamo_type import DynamoType

    original: Callable[..., Any] = models.DynamoDBBackend.transact_write_items

    def touched(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        saved = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in key:
                    continue
                range_value = DynamoType(key[table.range_key_attr])
            saved.append(
                (table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value)))
            )
        return saved

    def restore(saved: list[tuple[Any, Any, Any, Any]]) -> None:
        for table, hash_value, range_value, item in reversed(saved):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            elif item is None:
                table.items.get(hash_value, {}).pop(range_value, None)
            else:
                table.items[hash_value][range_value] = item
            for cache_key in [k for k in _caches if k[0] == id(table)]:
                del _caches[cache_key]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = touched(self, transact_items)
        setattr(models, "copy", _NoTableCopies)  # noqa: B010 (moto's module global, swapped for one call)
        try:
            original(self, transact_items)
        except BaseException:
            restore(saved)
            raise
        finally:
            setattr(models, "copy", copy)  # noqa: B010

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


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
