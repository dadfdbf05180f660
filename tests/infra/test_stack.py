"""The synthesized template agrees with the route table and the apps, and has the house defaults."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path
from typing import Any

from empirio.families import FAMILIES, Route
from empirio.store.tables import TABLES
from empirio.web.app import router_routes
from tests.infra.conftest import resources

REPO = Path(__file__).resolve().parents[2]


def _template_routes(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, path) → logical id of the integrated function, rebuilt from Resource and Method items."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")
    rest_apis = resources(template, "AWS::ApiGateway::RestApi")

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and "Fn::GetAtt" in ref and ref["Fn::GetAtt"][0] in rest_apis:
            return ""
        resource = api_resources[ref["Ref"]]
        return path_of(resource["Properties"]["ParentId"]) + "/" + resource["Properties"]["PathPart"]

    routes = {}
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        uri = props["Integration"]["Uri"]["Fn::Join"][1]
        function = next(
            part["Fn::GetAtt"][0] for part in uri if isinstance(part, dict) and "Fn::GetAtt" in part
        )
        routes[(props["HttpMethod"], path_of(props["ResourceId"]) or "/")] = function
    return routes


def test_template_routes_equal_the_apps_routes(template: dict[str, Any]) -> None:
    from_template = _template_routes(template)
    from_apps = set()
    for family in FAMILIES:
        router = importlib.import_module(family.module).router
        from_apps |= {(method, Route(method, path).apigw_path) for method, path in router_routes(router)}
        assert {(r.method, r.path) for r in family.routes} == router_routes(router), family.name
    assert set(from_template) == from_apps


def test_each_family_is_served_by_its_own_function(template: dict[str, Any]) -> None:
    by_route = _template_routes(template)
    functions = resources(template, "AWS::Lambda::Function")
    for family in FAMILIES:
        targets = {by_route[(r.method, r.apigw_path)] for r in family.routes}
        assert len(targets) == 1, family.name
        props = functions[targets.pop()]["Properties"]
        if family.entry == "web-adapter":
            assert props["Handler"] == f"functions/{family.name}/run.sh"
            assert props["Environment"]["Variables"]["AWS_LWA_INVOKE_MODE"] == "RESPONSE_STREAM"
            assert props["Timeout"] == 900
        else:
            assert props["Handler"] == family.handler
        assert props["Runtime"] == "python3.13" and props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogFormat"] == "JSON" and props["TracingConfig"]["Mode"] == "Active"
        payments = family.name == "billing"  # the Stripe SDK's own layer
        assert len(props["Layers"]) == (3 if family.entry == "web-adapter" else 2) + payments


def test_admin_routes_use_iam_and_customer_routes_do_not(template: dict[str, Any]) -> None:
    methods = resources(template, "AWS::ApiGateway::Method").values()
    auth = {m["Properties"]["AuthorizationType"] for m in methods}
    assert auth == {"AWS_IAM", "NONE"}
    admin_count = sum(len(f.routes) for f in FAMILIES if f.iam_auth)
    assert sum(m["Properties"]["AuthorizationType"] == "AWS_IAM" for m in methods) == admin_count


def test_tables_come_from_the_shared_specs(template: dict[str, Any]) -> None:
    tables = list(resources(template, "AWS::DynamoDB::GlobalTable").values())
    assert len(tables) == len(TABLES)
    key_sets = sorted(tuple(k["AttributeName"] for k in t["Properties"]["KeySchema"]) for t in tables)
    assert key_sets == sorted(tuple(filter(None, (s.partition_key, s.sort_key))) for s in TABLES)
    for table in tables:
        replica = table["Properties"]["Replicas"][0]
        assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"


def test_models_function_writes_no_table_but_session_expiry(template: dict[str, Any]) -> None:
    policies = resources(template, "AWS::IAM::Policy")
    models_policy = next(p for k, p in policies.items() if k.startswith("ModelsFunction"))
    sessions = next(
        k for k in resources(template, "AWS::DynamoDB::GlobalTable") if k.startswith("TablesSessions")
    )
    for statement in models_policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        writes = [
            a
            for a in actions
            if a.startswith("dynamodb:") and any(w in a for w in ("Put", "Update", "Delete", "Write"))
        ]
        if writes:
            assert _refs(statement["Resource"]) == {sessions}, statement


def test_dependency_layer_requirements_match_the_lock_file() -> None:
    lock = {
        p["name"]: p["version"]
        for p in tomllib.loads((REPO / "uv.lock").read_text())["package"]
        if "version" in p
    }
    pinned = dict(
        line.split("==")
        for layer in ("deps", "payments")
        for line in (REPO / f"layers/{layer}/requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert "fastapi" in pinned and "stripe" in pinned
    for name, version in pinned.items():
        assert lock.get(name) == version, f"{name}: run `make requirements`"
    import re

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in declared:
        name = re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0]
        if name != "boto3":  # the Lambda runtime provides it
            assert name in pinned, (
                f"{name} is a runtime dependency missing from the layer: run `make requirements`"
            )


def test_scheduled_jobs_run_on_eventbridge_without_routes(template: dict[str, Any]) -> None:
    from empirio.families import JOBS

    rules = list(resources(template, "AWS::Events::Rule").values())
    functions = resources(template, "AWS::Lambda::Function")
    routed = set(_template_routes(template).values())
    for job in JOBS:
        rule = next(r for r in rules if r["Properties"]["ScheduleExpression"] == job.schedule)
        target = rule["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]
        assert functions[target]["Properties"]["Handler"] == job.handler
        assert target not in routed


def test_every_function_has_declared_table_access() -> None:
    from empirio.families import JOBS
    from infra.stacks.gateway import TABLE_ACCESS

    assert set(TABLE_ACCESS) == {f.name for f in FAMILIES} | {j.name for j in JOBS}
    assert {t for access in TABLE_ACCESS.values() for t in access} <= {t.logical for t in TABLES}


def test_inference_routes_stream_and_the_others_do_not(template: dict[str, Any]) -> None:
    streaming = {(r.method, r.apigw_path) for f in FAMILIES if f.entry == "web-adapter" for r in f.routes}
    methods = resources(template, "AWS::ApiGateway::Method").values()
    modes = {m["Properties"]["Integration"].get("ResponseTransferMode") for m in methods}
    assert modes == {"STREAM", None}
    stream_count = sum(
        m["Properties"]["Integration"].get("ResponseTransferMode") == "STREAM" for m in methods
    )
    assert stream_count == len(streaming)


def test_alarms_watch_5xx_function_errors_throttles_and_the_books(template: dict[str, Any]) -> None:
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    metric_names = {a.get("MetricName") for a in alarms}
    assert {"5XXError", "Errors", "Throttles", "ReconciliationDifferences"} <= metric_names
    books = next(a for a in alarms if a.get("MetricName") == "ReconciliationDifferences")
    assert books["ComparisonOperator"] == "GreaterThanThreshold" and books["Threshold"] == 0
    assert resources(template, "AWS::CloudWatch::Dashboard")


def test_api_has_access_logs_and_provider_keys_live_in_secrets_manager(template: dict[str, Any]) -> None:
    stage = next(iter(resources(template, "AWS::ApiGateway::Stage").values()))["Properties"]
    assert stage["AccessLogSetting"]["DestinationArn"] and "requestId" in stage["AccessLogSetting"]["Format"]
    secrets = resources(template, "AWS::SecretsManager::Secret")
    assert len(secrets) == 2  # the provider keys and Stripe's
    functions = resources(template, "AWS::Lambda::Function").values()

    def handlers_with(variable: str) -> list[str]:
        return sorted(
            f["Properties"]["Handler"]
            for f in functions
            if variable in f["Properties"]["Environment"]["Variables"]
        )

    # the sweeper observes open video jobs upstream
    assert handlers_with("EMPIRIO_PROVIDER_SECRET_ARN") == [
        "functions.sweeper.handler.handler",
        "functions/inference/run.sh",
    ]
    assert handlers_with("EMPIRIO_STRIPE_SECRET_ARN") == [
        "functions.balance_watch.handler.handler",
        "functions.billing.handler.handler",
    ]


def test_the_stripe_webhook_is_public_and_the_balance_watch_follows_the_accounts_stream(
    template: dict[str, Any],
) -> None:
    methods = resources(template, "AWS::ApiGateway::Method").values()
    webhook = [
        m
        for m in methods
        if m["Properties"]["HttpMethod"] == "POST" and "webhook" in str(m["Properties"]["ResourceId"])
    ]
    assert webhook and all(m["Properties"]["AuthorizationType"] == "NONE" for m in webhook)
    accounts = next(
        t for n, t in resources(template, "AWS::DynamoDB::GlobalTable").items() if "Accounts" in n
    )
    assert accounts["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    (mapping,) = resources(template, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["StartingPosition"] == "LATEST"
    pattern = mapping["Properties"]["FilterCriteria"]["Filters"][0]["Pattern"]
    assert "watch_shard" in pattern and "exists" in pattern


def test_cfn_lint_is_clean(template: dict[str, Any], tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    # W3005: CDK adds DependsOn on a function's role that its GetAtt already implies; harmless and CDK-made.
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    done = subprocess.run(
        [cfn_lint, "--ignore-checks", "W3005", "--", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]


def test_cdk_nag_aws_solutions_checks_pass_with_every_acknowledgment_reasoned(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from infra.app import build
    from infra.constructs.nag import INDEX_REASON, REASONS, add_checks

    app = cdk.App(context={"aws:cdk:bundling-stacks": [], "stage": "prod"}, outdir=str(tmp_path))
    build(app)
    add_checks(app)
    app.synth()  # raises ValidationFailed on any unacknowledged AwsSolutions finding
    assert all(len(reason) > 40 for reason in [*REASONS.values(), INDEX_REASON])


def _refs(value: Any) -> set[str]:
    """Logical ids referenced anywhere inside a template value."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        if "Ref" in value:
            return {value["Ref"]}
        return set().union(*(_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()


def test_each_function_touches_only_its_declared_tables_with_only_the_declared_access(
    template: dict[str, Any],
) -> None:
    from infra.stacks.gateway import TABLE_ACCESS

    tables = resources(template, "AWS::DynamoDB::GlobalTable")
    logical_of = {
        k: next(t.logical for t in TABLES if k.startswith(f"Tables{t.logical.capitalize()}")) for k in tables
    }
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for policy_id, policy in resources(template, "AWS::IAM::Policy").items():
        function = next(
            (name for name in TABLE_ACCESS if policy_id.startswith(f"{name.capitalize()}Function")), None
        )
        if function is None:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            touched = {logical_of[r] for r in _refs(statement["Resource"]) if r in logical_of}
            if not touched:
                continue
            assert touched <= set(TABLE_ACCESS[function]), (function, touched)
            if writes & set(actions):
                assert all(TABLE_ACCESS[function][t] == "write" for t in touched), (function, touched)


def test_prod_retains_tables_and_protects_them_from_deletion() -> None:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build

    stack = build(cdk.App(context={"aws:cdk:bundling-stacks": [], "stage": "prod"}))
    prod = dict(Template.from_stack(stack).to_json())
    for table in resources(prod, "AWS::DynamoDB::GlobalTable").values():
        assert table["DeletionPolicy"] == "Retain"
        assert table["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True


def test_people_sign_up_in_a_cognito_pool_that_hides_who_exists_and_has_no_oauth(
    template: dict[str, Any],
) -> None:
    pool = next(iter(resources(template, "AWS::Cognito::UserPool").values()))["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # self sign-up
    assert pool["UsernameAttributes"] == ["email"] and pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_CODE"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 8
    assert pool["AccountRecoverySetting"]["RecoveryMechanisms"] == [{"Name": "verified_email", "Priority": 1}]
    client = next(iter(resources(template, "AWS::Cognito::UserPoolClient").values()))["Properties"]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["AllowedOAuthFlowsUserPoolClient"] is False and "AllowedOAuthFlows" not in client
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    assert client["GenerateSecret"] is False
    functions = resources(template, "AWS::Lambda::Function").values()
    with_pool = [
        f["Properties"]["Handler"]
        for f in functions
        if "EMPIRIO_USER_POOL_ID" in f["Properties"]["Environment"]["Variables"]
    ]
    assert with_pool == ["functions.console.handler.handler"]


def test_only_the_functions_that_talk_to_stripe_carry_the_payments_layer(template: dict[str, Any]) -> None:
    layers = {
        name: str(props["Description"])
        for name, props in (
            (n, r["Properties"]) for n, r in resources(template, "AWS::Lambda::LayerVersion").items()
        )
    }
    payments = next(name for name, description in layers.items() if "Stripe" in description)
    with_payments = sorted(
        f["Properties"]["Handler"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if any(payments in str(layer) for layer in f["Properties"].get("Layers", []))
    )
    assert with_payments == ["functions.balance_watch.handler.handler", "functions.billing.handler.handler"]


def test_uploads_and_audio_pass_through_api_gateway_as_binary(template: dict[str, Any]) -> None:
    (api,) = resources(template, "AWS::ApiGateway::RestApi").values()
    assert set(api["Properties"]["BinaryMediaTypes"]) >= {"multipart/form-data", "audio/*", "image/*"}


def test_videos_live_in_a_private_encrypted_expiring_bucket_only_two_functions_use(
    template: dict[str, Any],
) -> None:
    (bucket,) = resources(template, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 7 and rule["Status"] == "Enabled"
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    users = sorted(
        f["Properties"]["Handler"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if "EMPIRIO_VIDEOS_BUCKET" in f["Properties"]["Environment"]["Variables"]
    )
    assert users == ["functions.sweeper.handler.handler", "functions/inference/run.sh"]
    assert (
        "video/*"
        in next(iter(resources(template, "AWS::ApiGateway::RestApi").values()))["Properties"][
            "BinaryMediaTypes"
        ]
    )
