"""Reconciliation rules: what an account's balance, ledger and usage records must agree on (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from empirio.domain.accounts import Account


@dataclass(frozen=True)
class Difference:
    account_id: str
    check: str
    expected: int
    actual: int

    @property
    def amount(self) -> int:
        return self.actual - self.expected


def reconcile_account(
    account: Account, entries: Iterable[dict[str, Any]], usage_records: Iterable[dict[str, Any]]
) -> list[Difference]:
    """Differences between the stored balance, the ledger and the usage records of one account (none: books ok).

    balance: available + held + charged = topped up · topups: topped up = Σ top-up entries · charges: charged =
    Σ charge entries · usage: Σ usage costs = Σ charge entries · held: held = Σ pending holds.
    """
    entries = list(entries)
    topups = sum(int(e["amount"]) for e in entries if e["kind"] == "topup")
    charges = sum(int(e.get("charge", 0)) for e in entries if e["kind"] == "charge")
    pending = sum(int(e["amount"]) for e in entries if e["kind"] == "hold" and e.get("status") == "pending")
    usage = sum(int(r.get("cost", 0)) for r in usage_records)
    checks = (
        ("balance", account.topped_up, account.available + account.held + account.charged),
        ("topups", topups, account.topped_up),
        ("charges", charges, account.charged),
        ("usage", charges, usage),
        ("held", pending, account.held),
    )
    out = [
        Difference(account.account_id, name, expected, actual)
        for name, expected, actual in checks
        if expected != actual
    ]
    if account.available < 0:
        out.append(Difference(account.account_id, "negative_balance", 0, account.available))
    return out
