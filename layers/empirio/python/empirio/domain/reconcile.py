"""Reconciliation rules: what an account's balance, ledger and usage records must agree on (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from empirio.domain.accounts import Account
from empirio.domain.usage_record import UsageRecord


@dataclass(frozen=True)
class HouseLoss:
    """What providers billed beyond the holds on one account's requests to one model: the house paid it, the
    customer was charged the hold (settle never charges more)."""

    account_id: str
    model: str
    amount: int  # micro-USD, Σ (price - cost) of the usage records
    requests: int


def house_losses(account_id: str, usage_records: Iterable[UsageRecord]) -> list[HouseLoss]:
    """The house's losses on an account, by model (none when every hold covered its price)."""
    by_model: dict[str, list[int]] = {}
    for record in usage_records:
        loss = int(record.house_loss)
        if loss:
            totals = by_model.setdefault(str(record.outcome.model), [0, 0])
            totals[0] += loss
            totals[1] += 1
    return [HouseLoss(account_id, model, amount, n) for model, (amount, n) in sorted(by_model.items())]


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
    account: Account, entries: Iterable[dict[str, Any]], usage_records: Iterable[UsageRecord]
) -> list[Difference]:
    """Differences between the stored balance, the ledger and the usage records of one account (none: books ok).

    balance: available + held + charged + reversed = topped up · topups: topped up = Σ top-up entries · charges:
    charged = Σ charges of settled holds · usage: Σ usage costs = Σ those charges · house_loss: Σ house losses
    of the settled holds = Σ those of the usage records · usage_price: each record's price = its cost + its
    house loss · held: held = Σ pending holds · reversed: reversed = Σ refund and dispute entries · per
    purchase: paid ⇔ one top-up entry of exactly its credit (the fee never), its refunded and disputed totals =
    its refund and dispute entries, together ≤ its credit · the balance is below zero only by what refunds and
    disputes took back.
    """
    entries = list(entries)
    topups = sum(int(e["amount"]) for e in entries if e["kind"] == "topup")
    charges = sum(
        int(e.get("charge", 0)) for e in entries if e["kind"] == "hold" and e.get("status") == "settled"
    )
    pending = sum(int(e["amount"]) for e in entries if e["kind"] == "hold" and e.get("status") == "pending")
    reversals = sum(int(e["amount"]) for e in entries if e["kind"] in {"refund", "dispute"})
    usage_records = list(usage_records)
    usage = sum(int(r.cost) for r in usage_records)
    held_losses = sum(
        int(e.get("house_loss", 0)) for e in entries if e["kind"] == "hold" and e.get("status") == "settled"
    )
    usage_losses = sum(int(r.house_loss) for r in usage_records)
    unbalanced = sum(
        1 for r in usage_records if isinstance(r.price, int) and r.price != int(r.cost) + int(r.house_loss)
    )
    checks = (
        ("balance", account.topped_up, account.available + account.held + account.charged + account.reversed),
        ("topups", topups, account.topped_up),
        ("charges", charges, account.charged),
        ("usage", charges, usage),
        ("house_loss", held_losses, usage_losses),
        ("usage_price", 0, unbalanced),
        ("held", pending, account.held),
        ("reversed", reversals, account.reversed),
    )
    out = [
        Difference(account.account_id, name, expected, actual)
        for name, expected, actual in checks
        if expected != actual
    ]
    out += _purchases(account.account_id, entries)
    if account.available < -account.reversed:
        out.append(Difference(account.account_id, "negative_balance", -account.reversed, account.available))
    return out


def _purchases(account_id: str, entries: list[dict[str, Any]]) -> list[Difference]:
    out: list[Difference] = []
    by_purchase: dict[str, dict[str, int]] = {}
    credited: dict[str, list[int]] = {}
    for e in entries:
        pid = e.get("purchase_id")
        if not pid:
            continue
        if e["kind"] == "topup":
            credited.setdefault(pid, []).append(int(e["amount"]))
        elif e["kind"] in {"refund", "dispute"}:
            totals = by_purchase.setdefault(pid, {})
            totals[e["kind"]] = totals.get(e["kind"], 0) + int(e["amount"])
    for p in (e for e in entries if e["kind"] == "purchase"):
        pid, credit = p["purchase_id"], int(p["amount_cents"]) * 10_000
        paid = p.get("state") == "paid"
        got = credited.get(pid, [])
        if (paid and got != [credit]) or (not paid and got):
            out.append(Difference(account_id, f"purchase:{pid}:credit", credit if paid else 0, sum(got)))
        totals = by_purchase.get(pid, {})
        for kind, field in (("refund", "refunded"), ("dispute", "disputed")):
            if int(p.get(field, 0)) != totals.get(kind, 0):
                out.append(
                    Difference(
                        account_id, f"purchase:{pid}:{field}", totals.get(kind, 0), int(p.get(field, 0))
                    )
                )
        taken = int(p.get("refunded", 0)) + int(p.get("disputed", 0))
        if taken > credit:
            out.append(Difference(account_id, f"purchase:{pid}:taken_back", credit, taken))
    return out
