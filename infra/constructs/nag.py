"""cdk-nag's AwsSolutions checks, and each finding we accept with the reason (CDK Validations acknowledgments)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Stack, Validations

from infra.constructs.tables import Tables

REASONS = {
    "AwsSolutions-APIG4": "Customer routes authenticate in the function with our API keys (checksum, hash lookup, "
    "scopes); /admin/* uses IAM authorization.",
    "AwsSolutions-COG4": "API routes are called by programs holding API keys (OpenAI/Anthropic SDKs), checked by "
    "the function; the console's own opaque session is checked there too; /admin/* uses IAM.",
    "AwsSolutions-COG2": "Console sign-in is email + password with Cognito's lockout; MFA is a planned opt-in for "
    "customers, not required of every person signing up.",
    "AwsSolutions-COG8": "The Plus feature plan (threat protection) is a per-deployment cost choice of the "
    "operator; the Essentials plan's lockout and prevented user-existence errors apply.",
    "AwsSolutions-COG3": "Cognito threat protection (Plus feature plan) is an operator's per-deployment cost choice; "
    "brute force is bounded by Cognito's lockout and user-existence errors are prevented.",
    "AwsSolutions-APIG2": "Bodies are validated by the function so errors come back in each endpoint's own wire "
    "format (OpenAI or Anthropic), which API Gateway validation cannot produce.",
    "AwsSolutions-APIG3": "Abuse is bounded by per-account RPM/TPM limits enforced in DynamoDB and by stage "
    "throttling; a WAF web ACL is an operator's per-deployment choice.",
    "AwsSolutions-L1": "Pinned to python3.13, the runtime the dependency layer's wheels are built for; moving "
    "runtimes is a deliberate change with the layer.",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]": "The AWS managed policy grants only log-group writes, which every function needs.",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AmazonAPIGatewayPushToCloudWatchLogs]": "API Gateway's account-level role for access logs, as AWS documents.",
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator]": (
        "The operator role of a Lambda Managed Instances capacity provider, with the policy AWS documents for it."
    ),
    "AwsSolutions-IAM5[Resource::*]": "X-Ray's PutTraceSegments/PutTelemetryRecords support no resource scoping.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/*]": "Which Bedrock models "
    "are called is the catalog's data, changed without a deploy; the catalog, not IAM, decides.",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/*]": (
        "Cross-region inference profiles are catalog data too, named per model."
    ),
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:async-invoke/*]": (
        "Video jobs' invocation ARNs are created at run time; only this account's, in this region."
    ),
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:polly:<AWS::Region>:<AWS::AccountId>:lexicon/*]": (
        "SynthesizeSpeech is authorized on lexicons; none are created, and speech needs the permission."
    ),
    "AwsSolutions-S1": "The videos bucket holds generated results written and read only by the gateway's two "
    "functions, under a 7-day expiry; requests to it are in CloudTrail, so server access logs add nothing.",
    "AwsSolutions-SMG4": "The secrets hold third-party keys (model providers', Stripe's); they are rotated at the "
    "provider and written with put-secret-value, not by a Lambda rotation.",
}
INDEX_REASON = (
    "Queries use this table's secondary indexes (by_account, by_hour, pending); the grant covers them."
)


def acknowledge_findings(stack: Stack, tables: Tables) -> None:
    acknowledgments = [
        Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason) for rule, reason in REASONS.items()
    ]
    videos = stack.node.find_child("Videos").node.find_child("Bucket").node.default_child
    acknowledgments.append(
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{stack.get_logical_id(videos)}.Arn>/videos/*]",  # type: ignore[arg-type]
            reason="Results are stored per account and job under videos/, named at run time.",
        )
    )
    for table in tables.by_logical.values():
        logical_id = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
        acknowledgments.append(
            Acknowledgment(
                id=f"AwsSolutions::AwsSolutions-IAM5[Resource::<{logical_id}.Arn>/index/*]",
                reason=INDEX_REASON,
            )
        )
    Validations.of(stack).acknowledge(*acknowledgments)


def add_checks(app: cdk.App) -> None:
    from cdk_nag import AwsSolutionsChecks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
