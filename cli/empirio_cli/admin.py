"""`empirio admin …`: the operator's client for the admin API (prints the JSON answers)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any


def add_target_arguments(parser: Any) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("EMPIRIO_URL", "http://127.0.0.1:8000"),
        help="API base URL without /v1 (env EMPIRIO_URL)",
    )
    parser.add_argument(
        "--token", default=os.environ.get("EMPIRIO_ADMIN_TOKEN"), help="admin token (env EMPIRIO_ADMIN_TOKEN)"
    )
    parser.add_argument(
        "--stage", help="a deployed stage (dev, prod): its URL from CloudFormation, SigV4-signed"
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="the stage's AWS region")


def add_parser(sub: Any) -> None:
    admin = sub.add_parser("admin", help="call the admin API")
    add_target_arguments(admin)
    cmds = admin.add_subparsers(dest="admin_command", required=True)

    p = cmds.add_parser("create-account", help="create an account")
    p.add_argument("name")
    p.add_argument("--credits", default="0.00", help='opening credits in USD, e.g. "10.00"')
    cmds.add_parser("list-accounts", help="list accounts")
    p = cmds.add_parser("get-account", help="show an account")
    p.add_argument("account_id")
    p = cmds.add_parser("add-credits", help="top up an account")
    p.add_argument("account_id")
    p.add_argument("amount", help='USD, e.g. "5.00"')
    p.add_argument("--idempotency-key", help="credit at most once for this key")
    p = cmds.add_parser("create-key", help="create an API key (printed once)")
    p.add_argument("account_id")
    p.add_argument("--name", default="")
    p.add_argument("--scopes", default="inference", help="comma-separated: inference,manage")
    p = cmds.add_parser("list-keys", help="list an account's keys")
    p.add_argument("account_id")
    p = cmds.add_parser("revoke-key", help="revoke an API key")
    p.add_argument("account_id")
    p.add_argument("key_id")
    cmds.add_parser("sweep", help="release expired holds now (what the scheduled sweeper does)")
    cmds.add_parser("rollup", help="roll up closed hours of usage now (what the scheduled rollup does)")
    cmds.add_parser(
        "reconcile", help="check every account's books now (what the scheduled reconciliation does)"
    )
    p = cmds.add_parser("set-limits", help="change an account's limits")
    p.add_argument("account_id")
    for name in ("rpm", "tpm", "max-keys", "max-chats"):
        p.add_argument(f"--{name}", type=int)


def request(args: argparse.Namespace) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
    """(method, path, body, extra headers) for a parsed admin command."""
    c, a = args.admin_command, args
    base = "/admin/accounts"
    if c == "create-account":
        return "POST", base, {"name": a.name, "credits": a.credits}, {}
    if c == "list-accounts":
        return "GET", base, None, {}
    if c == "get-account":
        return "GET", f"{base}/{a.account_id}", None, {}
    if c == "add-credits":
        headers = {"Idempotency-Key": a.idempotency_key} if a.idempotency_key else {}
        return "POST", f"{base}/{a.account_id}/credits", {"amount": a.amount}, headers
    if c == "create-key":
        scopes = [s.strip() for s in a.scopes.split(",") if s.strip()]
        return "POST", f"{base}/{a.account_id}/keys", {"name": a.name, "scopes": scopes}, {}
    if c == "list-keys":
        return "GET", f"{base}/{a.account_id}/keys", None, {}
    if c == "revoke-key":
        return "DELETE", f"{base}/{a.account_id}/keys/{a.key_id}", None, {}
    if c in ("sweep", "rollup", "reconcile"):
        return "POST", f"/admin/{c}", {}, {}
    if c == "set-limits":
        body = {k: v for k in ("rpm", "tpm", "max_keys", "max_chats") if (v := getattr(a, k)) is not None}
        return "PATCH", f"{base}/{a.account_id}/limits", body, {}
    raise SystemExit(f"unknown admin command {c}")


def run(args: argparse.Namespace) -> int:
    method, path, body, headers = request(args)
    base = args.url
    if args.stage:
        from empirio_cli.aws_target import stage_url

        base = stage_url(args.stage, args.region)
    elif not args.token:
        print(
            "no admin token: pass --token or set EMPIRIO_ADMIN_TOKEN (or --stage for a deployed stage)",
            file=sys.stderr,
        )
        return 2
    if not base.startswith(("http://", "https://")):
        print("--url must be an http(s) URL", file=sys.stderr)
        return 2
    data = json.dumps(body).encode() if body is not None else None
    url = base.rstrip("/") + path
    all_headers = {"Content-Type": "application/json", **headers}
    if args.stage:
        from empirio_cli.aws_target import sigv4_headers

        all_headers = sigv4_headers(method, url, data, all_headers, args.region)
    else:
        all_headers["Authorization"] = f"Bearer {args.token}"
    req = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method=method,
        headers=all_headers,
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 (scheme checked above)
            print(json.dumps(json.loads(response.read()), indent=2))
            return 0
    except urllib.error.HTTPError as error:
        print(error.read().decode(errors="replace"), file=sys.stderr)
        return 1
