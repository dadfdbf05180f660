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
