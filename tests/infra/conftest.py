"""The CDK app is synthesized once per session (importing aws_cdk takes ~20 s); bundling is skipped here and
exercised by `make synth` and by the bundler tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build

    app = cdk.App(context={"aws:cdk:bundling-stacks": [], "stage": "dev"})
    stack = build(app)
    return dict(Template.from_stack(stack).to_json())


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def synth_with_checks(tmp_path_factory: pytest.TempPathFactory, **context: str) -> dict[str, Any]:
    """The prod stack's template with ``context`` added, every cdk-nag check applied: synthesis raises
    ValidationFailed on any unacknowledged finding."""
    import aws_cdk as cdk

    from infra.app import build
    from infra.constructs.nag import add_checks

    full = {"aws:cdk:bundling-stacks": [], "stage": "prod", **context}
    app = cdk.App(context=full, outdir=str(tmp_path_factory.mktemp("cdk")))
    stack = build(app)
    add_checks(app)
    assembly = app.synth()
    return dict(assembly.get_stack_by_name(stack.stack_name).template)
