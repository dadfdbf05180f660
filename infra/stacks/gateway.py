"""GatewayStack: tables, layers, one function per family and the REST API, all from the shared specs."""

from __future__ import annotations

from aws_cdk import AssetHashType, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from empirio.families import FAMILIES, JOBS, Family
from infra.constructs.api_function import ApiFunction
from infra.constructs.bundling import REPO, CopyBundling, PipBundling, bundling
from infra.constructs.compute import ManagedInstances, compute_mode
from infra.constructs.media import Videos, grant_models
from infra.constructs.monitoring import Monitoring
from infra.constructs.nag import acknowledge_findings
from infra.constructs.people import People
from infra.constructs.tables import Tables, capacity_mode

# Least privilege: the tables each family touches and how ("read" or "write", write implying read).
# Every customer family reads console sessions (a session is an alternative to a key) and extends their idle
# expiry, hence "write" on sessions.
TABLE_ACCESS: dict[str, dict[str, str]] = {
    "inference": {
        "sessions": "write",
        "keys": "write",  # capped keys' spend items
        "accounts": "write",
        "ledger": "write",
        "usage": "write",
        "idempotency": "write",
        "jobs": "write",  # video jobs
    },
    "models": {"keys": "read", "sessions": "write"},
    "keys": {"keys": "write", "accounts": "write", "sessions": "write"},
    "credits": {"keys": "read", "accounts": "read", "sessions": "write"},
    "limits": {"keys": "read", "accounts": "read", "sessions": "write"},
    "account": {"keys": "read", "accounts": "write", "sessions": "write"},
    "chats": {"chats": "write", "accounts": "write", "keys": "read", "sessions": "write"},
    "console": {
        "users": "write",
        "sessions": "write",
        "accounts": "write",
        "keys": "write",
        "ledger": "read",  # the Billing page: purchases and the ledger
        "usage": "read",
        "rollups": "read",
    },
    "admin": {
        "keys": "write",
        "accounts": "write",
        "ledger": "write",
        "idempotency": "write",
        "usage": "read",
        "rollups": "write",
    },
    # The sweeper also observes open video jobs, settling the ended ones (a usage record each).
    "sweeper": {
        "accounts": "write",
        "ledger": "write",
        "idempotency": "write",
        "keys": "write",
        "jobs": "write",
        "usage": "write",
    },
    "usage": {"keys": "read", "usage": "read", "rollups": "read", "accounts": "read", "sessions": "write"},
    "rollup": {"usage": "read", "rollups": "write"},
    "reconcile": {"accounts": "read", "ledger": "read", "usage": "read"},
    "billing": {
        "keys": "read",
        "sessions": "write",
        "accounts": "write",  # top-ups, refunds and disputes, billing settings
        "ledger": "write",  # purchases and their entries
        "usage": "read",  # the ledger's charges per day
        "rollups": "read",
    },
    "balance_watch": {"accounts": "write", "ledger": "write"},
}
BINARY_MEDIA_TYPES = ["multipart/form-data", "audio/*", "image/*", "video/*", "application/octet-stream"]
# Functions that observe video jobs: they call the upstreams (provider keys, Bedrock) and keep results in S3.
VIDEO_USERS = ("inference", "sweeper")
# Families and jobs that talk to Stripe (its secret key and webhook secret, from Secrets Manager).
STRIPE_USERS = ("billing", "balance_watch")


class GatewayStack(Stack):
    def __init__(self, scope: Construct, id: str, *, stage: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        prod = stage == "prod"
        compute = compute_mode(self.node.try_get_context("inference_compute"))
        capacity = capacity_mode(self.node.try_get_context("table_capacity"))
        tables = Tables(self, "Tables", prod=prod, capacity=capacity)
        people = People(self, "People", prod=prod)
        layers = self._layers()
        payments_layer = self._payments_layer()
        videos = Videos(self, "Videos", prod=prod)
        environment = {
            **tables.environment(),
            "EMPIRIO_CATALOG": "/opt/catalog/models.json",
            "EMPIRIO_STAGE": stage,
        }

        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )
        # Upstream provider keys, one JSON object keyed by each catalog entry's api_key_env (set after deploy).
        provider_keys = secretsmanager.Secret(
            self, "ProviderKeys", description='EmpirioLabs upstream provider API keys: {"ENV_NAME": "key"}'
        )
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"empirio-{stage}",
            cloud_watch_role=True,
            # Uploads (multipart audio and images) and audio answers pass through as bytes, not text: API
            # Gateway base64-encodes them for the function (the adapters decode), so a WAV arrives intact.
            binary_media_types=BINARY_MEDIA_TYPES,
            deploy_options=apigw.StageOptions(
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                stage_name=stage,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                throttling_rate_limit=1000,
                throttling_burst_limit=2000,
                tracing_enabled=True,
            ),
        )
        # Stripe's secret key and webhook secret: {"STRIPE_SECRET_KEY": "sk_...", "STRIPE_WEBHOOK_SECRET": "whsec_..."}
        stripe_keys = secretsmanager.Secret(
            self,
            "StripeKeys",
            description='EmpirioLabs Stripe keys: {"STRIPE_SECRET_KEY": "...", "STRIPE_WEBHOOK_SECRET": "..."}',
        )
        # Customer emails (low balance, auto top-up off) go through SES from this identity (-c email_sender=...).
        sender = self.node.try_get_context("email_sender")
        payments_env = {"EMPIRIO_STRIPE_SECRET_ARN": stripe_keys.secret_arn}
        if sender:
            payments_env["EMPIRIO_EMAIL_SENDER"] = str(sender)
        self.functions: dict[str, lambda_.Function] = {}
        for family in FAMILIES:
            env = dict(environment)
            if family.iam_auth:
                env["EMPIRIO_ADMIN_AUTH"] = "iam"
            if family.name == "console":
                env.update(people.environment())
            if family.calls_models:
                env["EMPIRIO_PROVIDER_SECRET_ARN"] = provider_keys.secret_arn
            if family.name in STRIPE_USERS:
                env.update(payments_env)
            family_layers = [*layers, payments_layer] if family.name in STRIPE_USERS else layers
            if family.entry == "web-adapter":
                fn = self._web_adapter_function(family, family_layers, env, tables)
            else:
                fn = self._function(family.name, family.handler, family_layers, env, tables)
            if family.calls_models:
                provider_keys.grant_read(fn)
                grant_models(self, fn)
            if family.name in STRIPE_USERS:
                stripe_keys.grant_read(fn)
            if family.name in VIDEO_USERS:
                videos.grant(fn)
            if family.name == "inference" and compute == "managed-instances":
                ManagedInstances(self, "ManagedInstances", prod=prod).run(fn)
            self._routes(api, family, fn)
        for job in JOBS:
            job_env = {**environment, **(payments_env if job.name in STRIPE_USERS else {})}
            if job.name in VIDEO_USERS:
                job_env["EMPIRIO_PROVIDER_SECRET_ARN"] = provider_keys.secret_arn
            job_layers = [*layers, payments_layer] if job.name in STRIPE_USERS else layers
            fn = self._function(job.name, job.handler, job_layers, job_env, tables, timeout_s=300)
            if job.name in STRIPE_USERS:
                stripe_keys.grant_read(fn)
            if job.name in VIDEO_USERS:
                provider_keys.grant_read(fn)
                grant_models(self, fn)
                videos.grant(fn)
            if job.name == "balance_watch":
                self._watch_balances(fn, tables, sender)
            events.Rule(
                self,
                f"{job.name.capitalize()}Schedule",
                schedule=events.Schedule.expression(job.schedule),
                targets=[targets.LambdaFunction(fn)],
            )
        Monitoring(self, "Monitoring", api=api, functions=self.functions, stage=stage)
        acknowledge_findings(self, tables)
        CfnOutput(self, "ApiUrl", value=api.url)
        CfnOutput(self, "ConsoleUrl", value=api.url + "console")
        CfnOutput(self, "UserPoolId", value=people.pool.user_pool_id)
        CfnOutput(self, "ProviderKeysSecret", value=provider_keys.secret_arn)
        CfnOutput(self, "StripeKeysSecret", value=stripe_keys.secret_arn)
        CfnOutput(self, "StripeWebhookUrl", value=api.url + "v1/billing/webhook")
        CfnOutput(self, "VideosBucket", value=videos.bucket.bucket_name)

    def _watch_balances(self, fn: lambda_.Function, tables: Tables, sender: object) -> None:
        """The balance watch also runs on the accounts table's stream, for accounts with a threshold or auto
        top-up only (an event filter on watch_shard): an alert or a top-up follows the settle within seconds,
        outside the request. It may email through SES from the stage's sender identity."""
        accounts = tables.by_logical["accounts"]
        accounts.grant_stream_read(fn)
        lambda_.EventSourceMapping(
            self,
            "BalanceWatchStream",
            target=fn,
            event_source_arn=accounts.table_stream_arn,
            starting_position=lambda_.StartingPosition.LATEST,
            batch_size=100,
            max_batching_window=Duration.seconds(1),
            retry_attempts=2,
            bisect_batch_on_error=True,
            filters=[
                lambda_.FilterCriteria.filter(
                    {"dynamodb": {"NewImage": {"watch_shard": {"S": lambda_.FilterRule.exists()}}}}
                )
            ],
        )
        if sender:
            identity = str(sender).split("@")[-1]
            fn.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ses:SendEmail"],
                    resources=[self.format_arn(service="ses", resource="identity", resource_name=identity)],
                )
            )

    def _function(
        self,
        name: str,
        handler: str,
        layers: list[lambda_.ILayerVersion],
        env: dict[str, str],
        tables: Tables,
        timeout_s: int = 29,
        memory_mb: int = 512,
    ) -> lambda_.Function:
        fn = ApiFunction(
            self,
            f"{name.capitalize()}Function",
            name=name,
            handler=handler,
            layers=layers,
            environment=env,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
        ).function
        for logical, access in TABLE_ACCESS[name].items():
            table = tables.by_logical[logical]
            (table.grant_read_write_data if access == "write" else table.grant_read_data)(fn)
        self.functions[name] = fn
        return fn

    def _web_adapter_function(
        self, family: Family, layers: list[lambda_.ILayerVersion], env: dict[str, str], tables: Tables
    ) -> lambda_.Function:
        """The same FastAPI app under uvicorn, behind the Lambda Web Adapter, so responses can stream."""
        adapter = self.node.try_find_child("WebAdapterLayer") or lambda_.LayerVersion.from_layer_version_arn(
            self,
            "WebAdapterLayer",
            f"arn:aws:lambda:{self.region}:753240598075:layer:LambdaAdapterLayerArm64:25",
        )
        stream_env = {
            **env,
            "AWS_LAMBDA_EXEC_WRAPPER": "/opt/bootstrap",
            "AWS_LWA_INVOKE_MODE": "RESPONSE_STREAM",
            "AWS_LWA_READINESS_CHECK_PATH": "/",
            "AWS_LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS": "500",
            "PORT": "8080",
        }
        return self._function(
            family.name,
            f"functions/{family.name}/run.sh",
            [adapter, *layers],  # type: ignore[list-item]
            stream_env,
            tables,
            timeout_s=900,
            memory_mb=1024,
        )

    def _payments_layer(self) -> lambda_.ILayerVersion:
        """The Stripe SDK, only for the functions that talk to Stripe (it is larger than all our code)."""
        return lambda_.LayerVersion(
            self,
            "PaymentsLayer",
            code=lambda_.Code.from_asset(
                str(REPO / "layers" / "payments"),
                bundling=bundling(
                    PipBundling(REPO / "layers" / "payments" / "requirements.txt", prune=("stripe/params",))
                ),
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="The Stripe SDK (billing and the balance watch)",
        )

    def _layers(self) -> list[lambda_.ILayerVersion]:
        deps = lambda_.LayerVersion(
            self,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(
                str(REPO / "layers" / "deps"),
                bundling=bundling(PipBundling(REPO / "layers" / "deps" / "requirements.txt")),
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Third-party packages (boto3 comes from the runtime)",
        )
        shared = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=lambda_.Code.from_asset(
                str(REPO / "layers" / "empirio"),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=bundling(
                    CopyBundling(
                        {
                            "python/empirio": "layers/empirio/python/empirio",
                            "catalog/models.json": "catalog/models.json",
                        }
                    )
                ),
            ),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="The empirio package and the model catalog",
        )
        return [deps, shared]

    @staticmethod
    def _routes(api: apigw.RestApi, family: Family, fn: lambda_.IFunction) -> None:
        streaming = family.entry == "web-adapter"
        integration = apigw.LambdaIntegration(
            fn,
            response_transfer_mode=apigw.ResponseTransferMode.STREAM if streaming else None,
            timeout=Duration.minutes(15) if streaming else None,
        )
        auth = apigw.AuthorizationType.IAM if family.iam_auth else apigw.AuthorizationType.NONE
        for route in family.routes:
            resource = api.root.resource_for_path(route.apigw_path)
            resource.add_method(route.method, integration, authorization_type=auth)
