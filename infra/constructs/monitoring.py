"""Dashboard and alarms: API 5xx and throttles, function errors, and books that do not reconcile."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from empirio.observability import NAMESPACE


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        api: apigw.RestApi,
        functions: dict[str, lambda_.Function],
        stage: str,
    ) -> None:
        super().__init__(scope, id)
        five_minutes = Duration.minutes(5)
        server_errors = api.metric_server_error(period=five_minutes, statistic="Sum")
        inference_requests = cloudwatch.Metric(
            namespace=NAMESPACE, metric_name="Requests", period=five_minutes, statistic="SampleCount"
        )
        differences = cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name="ReconciliationDifferences",
            dimensions_map={"service": "reconcile"},
            period=Duration.hours(1),
            statistic="Maximum",
        )
        self.alarms = [
            cloudwatch.Alarm(
                self,
                "Api5xx",
                metric=server_errors,
                threshold=5,
                evaluation_periods=1,
                alarm_description="API Gateway answered 5xx more than 5 times in 5 minutes",
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "BooksDiffer",
                metric=differences,
                threshold=0,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                alarm_description="Reconciliation found accounts whose books differ",
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        for name, fn in functions.items():
            self.alarms.append(
                cloudwatch.Alarm(
                    self,
                    f"{name.capitalize()}Errors",
                    metric=fn.metric_errors(period=five_minutes),
                    threshold=1,
                    evaluation_periods=1,
                    alarm_description=f"the {name} function failed",
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
            self.alarms.append(
                cloudwatch.Alarm(
                    self,
                    f"{name.capitalize()}Throttles",
                    metric=fn.metric_throttles(period=five_minutes),
                    threshold=1,
                    evaluation_periods=1,
                    alarm_description=f"the {name} function was throttled",
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"empirio-{stage}")
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[
                    api.metric_count(period=five_minutes),
                    api.metric_client_error(period=five_minutes),
                    server_errors,
                ],
            ),
            cloudwatch.GraphWidget(
                title="API latency p50 / p99",
                left=[
                    api.metric_latency(period=five_minutes, statistic="p50"),
                    api.metric_latency(period=five_minutes, statistic="p99"),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Inference requests, tokens and cost (micro-USD)",
                left=[
                    inference_requests,
                    cloudwatch.Metric(
                        namespace=NAMESPACE, metric_name="OutputTokens", period=five_minutes, statistic="Sum"
                    ),
                    cloudwatch.Metric(
                        namespace=NAMESPACE, metric_name="CostMicroUSD", period=five_minutes, statistic="Sum"
                    ),
                ],
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[fn.metric_errors(period=five_minutes) for fn in functions.values()],
            ),
            cloudwatch.SingleValueWidget(title="Reconciliation differences", metrics=[differences]),
        )
