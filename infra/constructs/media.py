"""Generated media and the model providers AWS hosts: the videos bucket (private, encrypted, TLS only, objects
expired with their results) and the grants of the functions that call Bedrock and Polly or keep results."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from empirio.services.video_jobs import RESULT_SECONDS


class Videos(Construct):
    def __init__(self, scope: Construct, id: str, *, prod: bool) -> None:
        super().__init__(scope, id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(RESULT_SECONDS // 86400),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
        )

    def grant(self, fn: lambda_.Function) -> None:
        """Read, write and delete results under videos/ (Bedrock writes there with the caller's permissions)."""
        fn.add_environment("EMPIRIO_VIDEOS_BUCKET", self.bucket.bucket_name)
        fn.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                resources=[self.bucket.arn_for_objects("videos/*")],
            )
        )


def grant_models(stack: Stack, fn: lambda_.Function) -> None:
    """Bedrock's foundation models and inference profiles (Converse, InvokeModel, the asynchronous video jobs:
    StartAsyncInvoke is authorized as InvokeModel) and Amazon Polly's speech (authorized on lexicons)."""
    fn.add_to_role_policy(
        iam.PolicyStatement(
            actions=[
                "bedrock:InvokeModel",
                "bedrock:InvokeModelWithResponseStream",
                "bedrock:GetAsyncInvoke",
            ],
            resources=[
                f"arn:{stack.partition}:bedrock:*::foundation-model/*",
                stack.format_arn(service="bedrock", resource="inference-profile", resource_name="*"),
                stack.format_arn(service="bedrock", resource="async-invoke", resource_name="*"),
            ],
        )
    )
    fn.add_to_role_policy(
        iam.PolicyStatement(
            actions=["polly:SynthesizeSpeech"],
            resources=[stack.format_arn(service="polly", resource="lexicon", resource_name="*")],
        )
    )
