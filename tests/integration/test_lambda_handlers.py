"""Each family's Lambda handler answers API Gateway REST proxy events (through Mangum) like the dev server."""

import json
from typing import Any

import pytest

from empirio.routes import family


def _event(
    method: str, resource: str, path: str, headers: dict[str, str], body: Any = None
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway sends it."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": "test-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


@pytest.fixture(autouse=True)
def _lambda_loop(lambda_event_loop: None) -> None:
    """Handlers run on an event loop of their own, as in a Lambda process."""


class _LambdaContext:
    function_name = "test"
    aws_request_id = "test-request"


@pytest.mark.parametrize("model_id", ["openai/gpt-4o", "local/echo"])
def test_models_handler_serves_greedy_model_ids(client: Any, api_key: str, model_id: str) -> None:
    from functions.models.handler import handler

    route = family("models").routes[1]
    event = _event("GET", route.apigw_path, f"/v1/models/{model_id}", {"authorization": f"Bearer {api_key}"})
    response = handler(event, _LambdaContext())
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
    event = _event(
        "POST",
        "/admin/accounts",
        "/admin/accounts",
        {"content-type": "application/json"},
        {"name": "lambda", "credits": "1.00"},
    )
    response = handler(event, _LambdaContext())
    assert response["statusCode"] == 201, response["body"]
    assert json.loads(response["body"])["balance"] == "1.00"
