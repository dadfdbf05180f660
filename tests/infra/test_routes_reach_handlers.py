"""The template and the code agree: for every route in the synthesized template, an API Gateway proxy event
built from it reaches that family's handler and gets the same answer as the dev server."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from empirio.families import FAMILIES
from tests.conftest import ADMIN_TOKEN, Operator
from tests.infra.test_stack import _template_routes
from tests.lambda_events import LambdaContext, proxy_event

HELLO = [{"role": "user", "content": "Hello"}]
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/chat/completions"): {"model": "local/echo", "messages": HELLO},
    ("POST", "/v1/responses"): {"model": "local/echo", "input": "Hello"},
    ("POST", "/v1/messages"): {"model": "local/echo", "max_tokens": 20, "messages": HELLO},
    ("POST", "/v1/messages/count_tokens"): {"model": "local/echo", "messages": HELLO},
    ("POST", "/v1/keys"): {"name": "via-template"},
    ("POST", "/admin/accounts"): {"name": "via-template"},
    ("POST", "/admin/accounts/{account_id}/credits"): {"amount": "1.00"},
    ("POST", "/admin/accounts/{account_id}/keys"): {"name": "via-template"},
    ("PATCH", "/admin/accounts/{account_id}/limits"): {"rpm": 60},
    ("POST", "/admin/sweep"): {},
    ("POST", "/admin/rollup"): {},
}
VOLATILE = re.compile(
    r'"(id|created|created_at|key|display|latency_ms|[a-z_]*reset[a-z_]*|cost|requests_remaining|'
    r'tokens_remaining|balance|topped_up|hours|rows|watermark)":\s*("[^"]*"|[0-9.]+)'
)


@pytest.fixture(autouse=True)
def _lambda_loop(lambda_event_loop: None) -> None:
    """Handlers run on an event loop of their own, as in a Lambda process."""


REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")  # console error pages name the request for support


def _shape(text: str) -> str:
    return REQUEST_ID.sub("req_*", VOLATILE.sub(lambda m: f'"{m.group(1)}": "*"', text))


def test_every_template_route_reaches_its_handler_with_the_dev_servers_answer(
    template: dict[str, Any], client: Any, operator: Operator
) -> None:
    account = operator.create_account("template")
    key = operator.create_key(account["id"])
    logical_to_family = {}
    for family in FAMILIES:
        for route in family.routes:
            logical_to_family[(route.method, route.apigw_path)] = family
    routes = _template_routes(template)
    assert routes
    for (method, resource), _function in sorted(routes.items()):
        family = logical_to_family[(method, resource)]
        table_path = next(r.path for r in family.routes if r.method == method and r.apigw_path == resource)
        path = (
            resource.replace("{model_id+}", "openai/gpt-4o")
            .replace("{account_id}", account["id"])
            .replace("{key_id}", "key_missing")
            .replace("{generation_id}", "req_missing")
            .replace("{asset+}", "console.css")
        )
        admin = path.startswith("/admin")
        headers = {
            "authorization": f"Bearer {ADMIN_TOKEN if admin else key}",
            "content-type": "application/json",
        }
        body = BODIES.get((method, table_path))
        local = client.request(
            method,
            path,
            headers=headers,
            content=json.dumps(body) if body is not None else None,
            follow_redirects=False,
        )
        handler = importlib.import_module(family.handler.rsplit(".", 1)[0]).handler
        remote = handler(proxy_event(method, resource, path, headers, body), LambdaContext())
        assert remote["statusCode"] == local.status_code, (method, path, remote.get("body"))
        if method == "HEAD":
            continue
        # Console pages link under the stage prefix behind API Gateway (/dev/console/...), and not locally.
        unprefixed = remote["body"].replace('"/dev/', '"/').replace('content="/dev"', 'content=""')
        assert _shape(unprefixed) == _shape(local.text), (method, path)
