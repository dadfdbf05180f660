"""`empirio catalog check FILE` (validate a catalog file as every function does at start-up) and
`empirio catalog schema` (print the file's JSON Schema, published as catalog/models.schema.json)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from empirio.domain.catalog import catalog_schema
from empirio.startup import ConfigError, load_catalog

SCHEMA_FILE = "catalog/models.schema.json"


def add_parser(sub: Any) -> None:
    catalog = sub.add_parser("catalog", help="validate a model catalog file, or print its JSON Schema")
    cmds = catalog.add_subparsers(dest="catalog_command", required=True)
    check = cmds.add_parser(
        "check", help="validate a catalog file (exit 1 with the model and field at fault)"
    )
    check.add_argument("file")
    cmds.add_parser("schema", help=f"print the catalog's JSON Schema ({SCHEMA_FILE})")


def schema_text() -> str:
    return json.dumps(catalog_schema(), indent=2, ensure_ascii=False) + "\n"


def run(args: argparse.Namespace) -> int:
    if args.catalog_command == "schema":
        sys.stdout.write(schema_text())
        return 0
    try:
        catalog = load_catalog(args.file)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.file}: ok, {len(catalog)} models (version {catalog.version or 'unset'})")
    return 0
