"""DynamoDB tables built from the shared specs (the same specs the dev server and tests create)."""

from __future__ import annotations

from typing import Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from empirio.store.tables import MIN_UNITS, PER_REQUEST_TABLES, TABLES, TARGET_UTILIZATION, TableSpec
from infra.constructs.options import choice

Capacity = Literal["on-demand", "provisioned"]
CAPACITY_MODES: tuple[Capacity, ...] = ("on-demand", "provisioned")
# With `-c table_capacity=provisioned` the tables every metered request writes (PER_REQUEST_TABLES) are billed by
# the capacity-hour, autoscaled to keep TARGET_UTILIZATION % of it in use, instead of by the request (about 40 % of
# the on-demand price for a steady load; docs/deploy.md: cost model). Bursts above the capacity draw on DynamoDB's burst
# credit, then throttle: the SDK retries, then the client gets a 503 and nothing is written. The other tables are
# written rarely and stay on-demand.
MAX_WRITE_UNITS = 20_000  # under the default account quota of 40,000 per table
MAX_READ_UNITS = 5_000


def capacity_mode(value: object) -> Capacity:
    return choice("table_capacity", value, CAPACITY_MODES)  # type: ignore[return-value]


def _billing(spec: TableSpec, capacity: Capacity) -> dynamodb.Billing:
    if capacity == "on-demand" or spec.logical not in PER_REQUEST_TABLES:
        return dynamodb.Billing.on_demand()

    def autoscaled(ceiling: int) -> dynamodb.Capacity:
        return dynamodb.Capacity.autoscaled(
            min_capacity=MIN_UNITS, max_capacity=ceiling, target_utilization_percent=TARGET_UTILIZATION
        )

    # the indexes inherit both settings
    return dynamodb.Billing.provisioned(
        read_capacity=autoscaled(MAX_READ_UNITS), write_capacity=autoscaled(MAX_WRITE_UNITS)
    )


def _attr(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Tables(Construct):
    """Every table: on-demand (or, for the per-request tables, autoscaled provisioned capacity), point-in-time
    recovery, TTL where the spec has it; retained in prod."""

    def __init__(self, scope: Construct, id: str, *, prod: bool, capacity: Capacity = "on-demand") -> None:
        super().__init__(scope, id)
        self.by_logical: dict[str, dynamodb.TableV2] = {}
        for spec in TABLES:
            self.by_logical[spec.logical] = self._table(spec, prod, capacity)

    def _table(self, spec: TableSpec, prod: bool, capacity: Capacity) -> dynamodb.TableV2:
        return dynamodb.TableV2(
            self,
            spec.logical.capitalize(),
            partition_key=_attr(spec.partition_key),
            sort_key=_attr(spec.sort_key) if spec.sort_key else None,
            billing=_billing(spec, capacity),
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
