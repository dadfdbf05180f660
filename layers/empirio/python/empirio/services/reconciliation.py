"""The reconciliation job: every account's books checked; differences logged and counted in a metric, and what
providers billed beyond the holds (the house's loss) reported by account and model."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from empirio.domain.reconcile import Difference, HouseLoss, house_losses, reconcile_account
from empirio.observability import emit_metrics
from empirio.store.accounts import AccountStore
from empirio.store.ledger import LedgerStore
from empirio.store.usage import UsageStore

logger = logging.getLogger("empirio.reconcile")
EVERYTHING = (0, 10**12)


@dataclass
class Report:
    differences: list[Difference] = field(default_factory=list)
    house_losses: list[HouseLoss] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "differences": [d.__dict__ for d in self.differences],
            "house_losses": [loss.__dict__ for loss in self.house_losses],
            "house_loss_total": sum(loss.amount for loss in self.house_losses),
        }


class Reconciliation:
    """Every account's books checked against its ledger entries and usage records."""

    def __init__(self, accounts: AccountStore, usage: UsageStore, ledger: LedgerStore) -> None:
        self.accounts, self.usage, self.ledger = accounts, usage, ledger

    def differences(self) -> list[Difference]:
        """The books' differences (none: every account reconciles); ``report`` also has the losses."""
        return self.report().differences

    def report(self) -> Report:
        report = Report()
        differences, losses = report.differences, report.house_losses
        cursor: str | None = None
        while True:
            accounts, cursor = self.accounts.list(limit=100, start=cursor)
            for account in accounts:
                usage = list(self.usage.records_for_account(account.account_id, *EVERYTHING))
                found = reconcile_account(account, self.ledger.entries(account.account_id), usage)
                for loss in house_losses(account.account_id, usage):
                    logger.warning(
                        "provider billed more than the hold",
                        extra={
                            "account_id": loss.account_id,
                            "model": loss.model,
                            "house_loss": loss.amount,
                            "requests": loss.requests,
                        },
                    )
                    losses.append(loss)
                for difference in found:
                    logger.error(
                        "books differ",
                        extra={
                            "account_id": difference.account_id,
                            "check": difference.check,
                            "expected": difference.expected,
                            "actual": difference.actual,
                        },
                    )
                differences += found
            if cursor is None:
                break
        emit_metrics(
            "reconcile",
            {
                "ReconciliationDifferences": (len(differences), "Count"),
                "HouseLossMicros": (sum(loss.amount for loss in losses), "Count"),
                "HouseLossRequests": (sum(loss.requests for loss in losses), "Count"),
            },
            {},
        )
        return report
