"""DynamoDB write units per request, as DynamoDB would bill them, counted on moto (which reports none for
transactions): each written item costs ceil(size / 1 KB) units, the larger of its size before and after, twice in
a transaction; each global secondary index the item is in (before or after) costs its own write, ceil(size / 1 KB)
(every index here projects all attributes), and an item leaving an index one delete. Sizes follow DynamoDB's rule:
attribute names plus values (strings and binary by length, numbers about one byte per two digits plus one)."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

TOTALS = {"write_units": 0.0, "write_items": 0}
_lock = threading.Lock()
WRITE_OPERATIONS = ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem")


def value_size(value: dict[str, Any]) -> int:
    (kind, inner), *_ = value.items()
    if kind in ("S", "B"):
        return len(inner.encode("utf-8")) if kind == "S" else len(inner)
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) for k, v in inner.items())
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind in ("SS", "BS"):
        return sum(len(v) for v in inner)
    if kind == "NS":
        return sum(value_size({"N": v}) for v in inner)
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    return 0 if not item else sum(len(k.encode()) + value_size(v) for k, v in item.items())


def _kb(size: int) -> int:
    return max(1, math.ceil(size / 1024))


class _Tables:
    """Reads items and index definitions straight from moto's backend (no API call, nothing counted)."""

    def __init__(self) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self._backends = dynamodb_backends

    def _table(self, name: str) -> Any:
        for account in self._backends.values():
            for backend in account.values():
                if name in backend.tables:
                    return backend.tables[name]
        return None

    def item(self, name: str, key: dict[str, Any]) -> dict[str, Any] | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = self._table(name)
        if table is None:
            return None
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        found = table.get_item(hash_value, range_value)
        return dict(found.to_json()["Attributes"]) if found is not None else None

    def key_of(self, name: str, item: dict[str, Any]) -> dict[str, Any]:
        table = self._table(name)
        attrs = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
        return {a: item[a] for a in attrs}

    def index_keys(self, name: str) -> list[list[str]]:
        table = self._table(name)
        if table is None:
            return []
        return [[k["AttributeName"] for k in index.schema] for index in table.global_indexes]


def _writes(operation: str, body: dict[str, Any], tables: _Tables) -> list[tuple[str, dict[str, Any], bool]]:
    """(table, key, transactional) of each item the call writes."""
    if operation == "TransactWriteItems":
        out = []
        for entry in body.get("TransactItems", []):
            kind, spec = next(iter(entry.items()))
            if kind == "ConditionCheck":
                continue
            key = spec.get("Key") or tables.key_of(spec["TableName"], spec["Item"])
            out.append((spec["TableName"], key, True))
        return out
    key = body.get("Key") or tables.key_of(body["TableName"], body["Item"])
    return [(body["TableName"], key, False)]


class WriteMeter:
    """Wraps one moto call: the items it writes, read before and after, priced."""

    def __init__(self) -> None:
        self._tables: _Tables | None = None

    def around(self, request: Any, call: Any) -> Any:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]
        if operation not in WRITE_OPERATIONS:
            return call()
        if self._tables is None:
            self._tables = _Tables()
        tables = self._tables
        body = json.loads(request.body or b"{}")
        writes = _writes(operation, body, tables)
        before = [tables.item(name, key) for name, key, _ in writes]
        result = call()
        units = 0.0
        for (name, key, transactional), old in zip(writes, before, strict=True):
            new = tables.item(name, key)
            if new == old:
                continue  # a condition failed (or nothing changed): cancelled transactions are not billed here
            size = max(item_size(old), item_size(new))
            units += _kb(size) * (2 if transactional else 1)
            for index in tables.index_keys(name):
                was = old is not None and all(a in old for a in index)
                now = new is not None and all(a in new for a in index)
                if now:
                    units += _kb(item_size(new))
                if was and (not now or any(old[a] != new[a] for a in index)):
                    units += 1
        with _lock:
            TOTALS["write_units"] += units
            TOTALS["write_items"] += len(writes)
        return result
