"""ApiFunction: one Lambda function per family or job, with the house defaults (arm64, Python 3.13, JSON logs,
X-Ray, bounded log retention)."""

from __future__ import annotations

from aws_cdk import AssetHashType, Duration, RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.bundling import REPO, CopyBundling, bundling


class ApiFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        handler: str,
        layers: list[lambda_.ILayerVersion],
        environment: dict[str, str],
        memory_mb: int = 512,
        timeout_s: int = 29,
    ) -> None:
        super().__init__(scope, id)
        code = lambda_.Code.from_asset(
            str(REPO / "functions" / name),
            asset_hash_type=AssetHashType.OUTPUT,
            bundling=bundling(
                CopyBundling(
                    {
                        "functions/__init__.py": "functions/__init__.py",
                        f"functions/{name}": f"functions/{name}",
                    }
                )
            ),
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            layers=layers,
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_s),
            environment={"POWERTOOLS_SERVICE_NAME": f"empirio-{name}", **environment},
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=log_group,
        )
