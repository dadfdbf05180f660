"""How the tables are billed: on-demand by default; with `-c table_capacity=provisioned` the tables every request
writes (accounts, ledger, usage) and their indexes get autoscaled capacity, the rest stay on-demand (cdk-nag clean)."""

from __future__ import annotations

from typing import Any

import pytest

from empirio.store.tables import MIN_UNITS, PER_REQUEST_TABLES, TARGET_UTILIZATION
from infra.constructs.tables import capacity_mode
from tests.infra.conftest import resources, synth_with_checks


@pytest.fixture(scope="module")
def provisioned(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return synth_with_checks(tmp_path_factory, table_capacity="provisioned")


def _tables(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each table's properties by its logical name (the spec's, from the construct id)."""
    return {
        key.removeprefix("Tables")[:-8].lower(): value["Properties"]
        for key, value in resources(template, "AWS::DynamoDB::GlobalTable").items()
    }


def test_by_default_every_table_is_on_demand(template: dict[str, Any]) -> None:
    tables = resources(template, "AWS::DynamoDB::GlobalTable")
    assert tables and all(t["Properties"]["BillingMode"] == "PAY_PER_REQUEST" for t in tables.values())
    assert not resources(template, "AWS::ApplicationAutoScaling::ScalableTarget")


def test_provisioned_tables_autoscale_with_their_indexes(provisioned: dict[str, Any]) -> None:
    tables = _tables(provisioned)
    assert set(PER_REQUEST_TABLES) < set(tables)
    for name, table in tables.items():
        if name not in PER_REQUEST_TABLES:
            assert table["BillingMode"] == "PAY_PER_REQUEST", name
            continue
        assert table["BillingMode"] == "PROVISIONED", name
        writes = table["WriteProvisionedThroughputSettings"]["WriteCapacityAutoScalingSettings"]
        assert writes["MinCapacity"] == MIN_UNITS and writes["MaxCapacity"] > MIN_UNITS
        policy = writes["TargetTrackingScalingPolicyConfiguration"]
        assert policy["TargetValue"] == TARGET_UTILIZATION
        for replica in table["Replicas"]:
            reads = replica["ReadProvisionedThroughputSettings"]["ReadCapacityAutoScalingSettings"]
            assert reads["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == TARGET_UTILIZATION
            for index in replica.get("GlobalSecondaryIndexes", []):
                assert "ReadCapacityAutoScalingSettings" in index["ReadProvisionedThroughputSettings"]
        for index in table.get("GlobalSecondaryIndexes", []):
            assert "WriteCapacityAutoScalingSettings" in index["WriteProvisionedThroughputSettings"], index


def test_an_unknown_capacity_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="table_capacity"):
        capacity_mode("reserved")
    assert capacity_mode(None) == "on-demand"
