"""Where the inference function runs: classic Lambda by default; Lambda Managed Instances on a capacity provider in
a VPC with `-c inference_compute=managed-instances` (cdk-nag clean in both)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import resources, synth_with_checks


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return synth_with_checks(tmp_path_factory, inference_compute="managed-instances")


def _inference(template: dict[str, Any]) -> dict[str, Any]:
    (fn,) = [
        f
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "functions/inference/run.sh"
    ]
    return fn


def test_by_default_inference_is_classic_lambda_without_a_vpc(template: dict[str, Any]) -> None:
    assert not resources(template, "AWS::Lambda::CapacityProvider")
    assert not resources(template, "AWS::EC2::VPC") and not resources(template, "AWS::EC2::NatGateway")
    assert "CapacityProviderConfig" not in _inference(template)["Properties"]


def test_managed_instances_run_inference_on_a_capacity_provider(managed: dict[str, Any]) -> None:
    (provider,) = resources(managed, "AWS::Lambda::CapacityProvider").values()
    props = provider["Properties"]
    assert len(props["VpcConfig"]["SubnetIds"]) >= 2  # a zone each (two when synthesized without an account)
    config = _inference(managed)["Properties"]["CapacityProviderConfig"][
        "LambdaManagedInstancesCapacityProviderConfig"
    ]
    assert config["PerExecutionEnvironmentMaxConcurrency"] == 64
    others = [
        f
        for f in resources(managed, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] != "functions/inference/run.sh"
    ]
    assert others and all("CapacityProviderConfig" not in f["Properties"] for f in others)


def test_managed_instances_reach_aws_through_endpoints_and_only_the_internet_through_nat(
    managed: dict[str, Any],
) -> None:
    endpoints = resources(managed, "AWS::EC2::VPCEndpoint").values()

    def service(e: dict[str, Any]) -> str:
        name = e["Properties"]["ServiceName"]
        return str(name if isinstance(name, str) else name["Fn::Join"][1][-1]).rsplit(".", 1)[-1]

    kinds = {service(e): e["Properties"].get("VpcEndpointType", "Gateway") for e in endpoints}
    assert kinds == {"dynamodb": "Gateway", "s3": "Gateway", "bedrock-runtime": "Interface"}
    assert (
        len(resources(managed, "AWS::EC2::NatGateway")) == 1
    )  # OpenAI, Anthropic and others are on the internet
    assert resources(managed, "AWS::EC2::FlowLog")
    (group,) = [
        g
        for g in resources(managed, "AWS::EC2::SecurityGroup").values()
        if "Managed Instances" in g["Properties"]["GroupDescription"]
    ]
    assert not group["Properties"].get("SecurityGroupIngress")


def test_an_unknown_compute_mode_is_refused() -> None:
    from infra.constructs.compute import compute_mode

    assert compute_mode(None) == "lambda" and compute_mode("managed-instances") == "managed-instances"
    with pytest.raises(ValueError, match="inference_compute"):
        compute_mode("fargate")
