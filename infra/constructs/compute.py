"""Where the inference function runs. Classic Lambda (the default) bills every millisecond a request waits on the
model; Lambda Managed Instances (`-c inference_compute=managed-instances`) run many requests at once per execution
environment on EC2 instances Lambda manages, billed by the instance (plus a 15 % management fee and $0.20 per
million requests), so waiting costs nothing extra. That needs a capacity provider in a VPC: private subnets in
three zones, gateway endpoints for DynamoDB and S3 and an interface endpoint for Bedrock's runtime (no NAT where an
endpoint serves), and one NAT gateway for the providers that are only on the internet (OpenAI, Anthropic, ...)."""

from __future__ import annotations

from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.options import choice

Compute = Literal["lambda", "managed-instances"]
COMPUTE_MODES: tuple[Compute, ...] = ("lambda", "managed-instances")
# Requests in flight per execution environment: the process waits on models and DynamoDB far more than it computes
# (about 6 ms of CPU for a request that lasts a second).
MAX_CONCURRENCY_PER_ENVIRONMENT = 64
MAX_VCPUS = 64  # the capacity provider's ceiling (an account's EC2 quota still applies)


def compute_mode(value: object) -> Compute:
    return choice("inference_compute", value, COMPUTE_MODES)  # type: ignore[return-value]


class ManagedInstances(Construct):
    def __init__(self, scope: Construct, id: str, *, prod: bool) -> None:
        super().__init__(scope, id)
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=3,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(
                    name="functions", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )
        self.vpc.add_gateway_endpoint("DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        self.security_group = ec2.SecurityGroup(
            self,
            "Functions",
            vpc=self.vpc,
            description="Lambda Managed Instances of the inference function: outbound only",
            allow_all_outbound=True,
        )
        endpoint_group = ec2.SecurityGroup(
            self,
            "Endpoints",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from the inference function's instances only",
            allow_all_outbound=False,
        )
        endpoint_group.add_ingress_rule(self.security_group, ec2.Port.tcp(443), "HTTPS from the functions")
        self.vpc.add_interface_endpoint(
            "BedrockRuntime",
            service=ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
            private_dns_enabled=True,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            security_groups=[endpoint_group],
            open=False,
        )
        self.provider = lambda_.CapacityProvider(
            self,
            "CapacityProvider",
            subnets=self.vpc.private_subnets,
            security_groups=[self.security_group],
            architectures=[lambda_.Architecture.ARM_64],
            max_v_cpu_count=MAX_VCPUS,
        )

    def run(self, fn: lambda_.Function) -> None:
        """Move ``fn`` onto the capacity provider."""
        self.provider.add_function(
            fn,
            per_execution_environment_max_concurrency=MAX_CONCURRENCY_PER_ENVIRONMENT,
            execution_environment_memory_gib_per_v_cpu=2.0,
        )
