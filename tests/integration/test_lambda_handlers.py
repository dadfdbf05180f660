"""Each family's Lambda handler answers API Gateway REST proxy events (through Mangum) like the dev server."""

import json
from typing import Any

import pytest

from empirio.families import family
from tests.lambda_events import LambdaContext, proxy_event


@pytest.fixture(autouse=True)
def _lambda_loop(lambda_event_loop: None) -> None:
    """Handlers run on an event loop of their own, as in a Lambda process."""


@pytest.mark.parametrize("model_id", ["openai/gpt-4o", "local/echo"])
def test_models_handler_serves_greedy_model_ids(client: Any, api_key: str, model_id: str) -> None:
    from functions.models.handler import handler

    route = family("models").routes[1]
    event = proxy_event(
        "GET", route.apigw_path, f"/v1/models/{model_id}", {"authorization": f"Bearer {api_key}"}
    )
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 200
    assert (
        json.loads(response["body"])
        == client.get(f"/v1/models/{model_id}", headers={"Authorization": f"Bearer {api_key}"}).json()
    )


def test_admin_handler_creates_an_account_under_iam_auth(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from empirio.context import Context, reset_context
    from empirio.settings import Settings
    from functions.admin.handler import handler

    monkeypatch.setenv("EMPIRIO_ADMIN_AUTH", "iam")  # API Gateway's IAM authorizer already verified SigV4
    reset_context(Context(Settings.from_env(), client=aws.client))
    event = proxy_event(
        "POST",
        "/admin/accounts",
        "/admin/accounts",
        {"content-type": "application/json"},
        {"name": "lambda", "credits": "1.00"},
    )
    response = handler(event, LambdaContext())
    assert response["statusCode"] == 201, response["body"]
    assert json.loads(response["body"])["balance"] == "1.00"
