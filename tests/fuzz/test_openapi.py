"""schemathesis against every family's OpenAPI (generated from its FastAPI app), bounded: no 5xx for any
generated request, and every 4xx of the JSON API in the route's own error shape."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from empirio.families import FAMILIES
from tests.fuzz.test_through_the_app import assert_in_shape

EXAMPLES = 25  # per operation: about 60 operations, so the whole run stays well under a minute


@pytest.fixture
def credentials(
    operator: Any, account: dict[str, Any], aws: Any, fake_stripe: Any, stripe_server: Any
) -> Iterator[dict[str, str]]:
    aws.settings.stripe_api_base = stripe_server.url  # the billing family talks to the fake Stripe
    key = operator.create_key(account["id"], ("inference", "manage"))
    yield {"Authorization": f"Bearer {key}", "x-api-key": key}


def _family_test(name: str) -> Callable[..., None]:
    app = importlib.import_module(f"functions.{name}.app").app
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
    )
    def test(case: Any, credentials: dict[str, str], operator: Any) -> None:
        headers = operator.headers if case.path.startswith("/admin") else credentials
        response = case.call(headers={**headers, **(case.headers or {})})
        path = urlsplit(str(response.request.url)).path
        if path.startswith("/console"):
            assert response.status_code < 500, (path, response.status_code, response.text[:300])
        else:
            assert_in_shape(path, response)

    test.__name__ = f"test_{name}_family_answers_generated_requests_without_a_5xx"
    return test


for _family in FAMILIES:
    _test = _family_test(_family.name)
    globals()[_test.__name__] = _test
