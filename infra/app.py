"""CDK entry point: `cdk synth -c stage=dev|prod` (default dev)."""

from __future__ import annotations

import aws_cdk as cdk

from infra.constructs.nag import add_checks
from infra.stacks.gateway import GatewayStack


def build(app: cdk.App) -> GatewayStack:
    stage = app.node.try_get_context("stage") or "dev"
    if stage not in {"dev", "prod"}:
        raise ValueError(f"unknown stage {stage!r}: use dev or prod")
    return GatewayStack(app, f"Empirio-{stage}", stage=stage)


def main() -> None:
    app = cdk.App()
    build(app)
    add_checks(app)  # cdk-nag AwsSolutions: a new finding fails `make synth`
    app.synth()


if __name__ == "__main__":
    main()
