"""DynamoDB tables built from the shared specs (the same specs the dev server and tests create)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from empirio.store.tables import TABLES, TableSpec


def _attr(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Tables(Construct):
    """Every table: on-demand, point-in-time recovery, TTL where the spec has it; retained in prod."""

    def __init__(self, scope: Construct, id: str, *, prod: bool) -> None:
        super().__init__(scope, id)
        self.by_logical: dict[str, dynamodb.TableV2] = {}
        for spec in TABLES:
            self.by_logical[spec.logical] = self._table(spec, prod)

    def _table(self, spec: TableSpec, prod: bool) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            spec.logical.capitalize(),
            partition_key=_attr(spec.partition_key),
            sort_key=_attr(spec.sort_key) if spec.sort_key else None,
            billing=dynamodb.Billing.on_demand(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            dynamo_stream=dynamodb.StreamViewType.NEW_IMAGE if spec.stream else None,
            deletion_protection=prod,
            removal_policy=RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attr(index.partition_key),
                    sort_key=_attr(index.sort_key) if index.sort_key else None,
                )
                for index in spec.indexes
            ]
            or None,
        )

    def environment(self) -> dict[str, str]:
        """Physical table names for the functions, in the variables the settings read."""
        return {spec.env_var: self.by_logical[spec.logical].table_name for spec in TABLES}
