"""The reconciliation job: every account's books checked; differences logged and counted in a metric."""

from __future__ import annotations

import logging

from empirio.context import Context
from empirio.domain.reconcile import Difference, reconcile_account
from empirio.observability import emit_metrics

logger = logging.getLogger("empirio.reconcile")
EVERYTHING = (0, 10**12)


def reconcile(context: Context) -> list[Difference]:
    differences: list[Difference] = []
    cursor: str | None = None
    while True:
        accounts, cursor = context.accounts.list(limit=100, start=cursor)
        for account in accounts:
            found = reconcile_account(
                account,
                context.ledger.entries(account.account_id),
                context.usage.records_for_account(account.account_id, *EVERYTHING),
            )
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
    emit_metrics("reconcile", {"ReconciliationDifferences": (len(differences), "Count")}, {})
    return differences
