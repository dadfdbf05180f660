"""The ledger driven by hypothesis against a pure reference model; the invariants are checked after every step.

Steps: top-ups (with idempotency keys), admissions, settles, voids, sweeps, replays of any step, crashes (an
admission whose settle never comes), and purchases of credits: fulfilled (again and again), refunded (cumulative
amounts, in any order) and disputed. Runs on moto, serialized, like every integration test.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, invariant, rule

from empirio.domain.accounts import Principal
from empirio.domain.billing import Purchase, with_payment
from empirio.domain.keys import Scope
from empirio.domain.pricing import Usage, cost_micros, worst_case_micros
from empirio.domain.reconcile import reconcile_account
from empirio.errors import IdempotencyConflictError, InsufficientCreditsError
from empirio.services.metering import Admission, Meter, MeterRequest, sweep
from empirio.store.accounts import request_fingerprint
from tests.integration.conftest import MODEL, MotoMachine


@dataclass
class Reference:
    """The books as they must be."""

    available: int = 0
    held: int = 0
    charged: int = 0
    topped_up: int = 0
    topups: dict[str, int] = field(default_factory=dict)
    holds: dict[str, tuple[int, str]] = field(default_factory=dict)  # request id → (amount, status)
    charges: dict[str, int] = field(default_factory=dict)
    reversed: int = 0
    # purchase id → [cents, fee, refunded micro-USD, disputed micro-USD]
    purchases: dict[str, list[int]] = field(default_factory=dict)
    disputes: set[tuple[str, str]] = field(default_factory=set)

    def resolve(self, request_id: str, status: str, charge: int = 0) -> None:
        amount, _ = self.holds[request_id]
        self.holds[request_id] = (amount, status)
        self.held -= amount
        self.available += amount - charge
        self.charged += charge
        if status == "settled":
            self.charges[request_id] = charge


class LedgerMachine(MotoMachine):
    admitted = Bundle("admitted")
    bought = Bundle("bought")

    def __init__(self) -> None:
        super().__init__()
        self.principal = Principal(self.account_id, "key_s", (Scope.INFERENCE,))
        self.meter = Meter(self.context.ledger)
        self.ref = Reference()

    @rule(amount=st.integers(1, 5_000), key=st.sampled_from(["k1", "k2", "k3", None]))
    def top_up(self, amount: int, key: str | None) -> None:
        fingerprint = request_fingerprint({"amount": amount})
        try:
            self.context.accounts.top_up(self.account_id, amount, key, fingerprint)
        except IdempotencyConflictError:
            assert key in self.ref.topups and self.ref.topups[key] != amount
            return
        if key is not None and key in self.ref.topups:
            assert self.ref.topups[key] == amount  # a replay: credited once
            return
        if key is not None:
            self.ref.topups[key] = amount
        self.ref.available += amount
        self.ref.topped_up += amount

    @rule(target=admitted, prompt=st.integers(0, 300), max_tokens=st.integers(1, 300))
    def admit(self, prompt: int, max_tokens: int) -> Any:
        self.counter += 1
        request = MeterRequest(self.principal, f"req_{self.counter}", MODEL, prompt, max_tokens)
        hold = worst_case_micros(MODEL.pricing, prompt, max_tokens)
        try:
            admission = self.meter.admit(request)
        except InsufficientCreditsError:
            assert self.ref.available < hold
            return None
        assert self.ref.available >= hold and admission.hold.amount == hold
        self.ref.available -= hold
        self.ref.held += hold
        self.ref.holds[request.request_id] = (hold, "pending")
        return admission

    @rule(admission=admitted, inp=st.integers(0, 400), out=st.integers(0, 400))
    def settle(self, admission: Admission | None, inp: int, out: int) -> None:
        """Also replays: a settle of an already resolved request must change nothing."""
        if admission is None:
            return
        rid = admission.request.request_id
        usage = Usage(input_tokens=inp, output_tokens=out)
        settled = self.meter.settle(admission, usage)
        amount, status = self.ref.holds[rid]
        if status == "pending":
            assert settled.result.settled
            self.ref.resolve(rid, "settled", min(amount, cost_micros(usage, MODEL.pricing)))
        else:
            assert not settled.result.settled

    @rule(admission=consumes(admitted))
    def void(self, admission: Admission | None) -> None:
        if admission is None:
            return
        result = self.meter.void(admission)
        rid = admission.request.request_id
        if self.ref.holds[rid][1] == "pending":
            assert result.settled
            self.ref.resolve(rid, "voided")
        else:
            assert not result.settled

    @rule(admission=admitted)
    def replay_admission(self, admission: Admission | None) -> None:
        """A retried admission write (same request id) holds nothing more."""
        if admission is not None:
            self.meter.admit(admission.request)

    @rule()
    def crash_then_sweep(self) -> None:
        """Functions died after admitting: the sweeper, once past expiry, releases every pending hold."""
        report = sweep(self.context.ledger, now=int(time.time()) + 17 * 60)
        pending = [rid for rid, (_, status) in self.ref.holds.items() if status == "pending"]
        assert report.expired == len(pending)
        for rid in pending:
            self.ref.resolve(rid, "expired")

    @rule(target=bought, cents=st.integers(500, 5_000), fee=st.integers(0, 300))
    def buy(self, cents: int, fee: int) -> str:
        """A purchase paid at Stripe and fulfilled (the webhook and the success page both call this)."""
        self.counter += 1
        purchase = Purchase(f"pur_{self.counter}", self.account_id, cents, fee, created_at=int(time.time()))
        self.context.purchases.create(purchase)
        assert self.context.purchases.fulfil(with_payment(purchase, int(time.time()), "pi_x", "ch_x", None))
        self.ref.available += cents * 10_000
        self.ref.topped_up += cents * 10_000
        self.ref.purchases[purchase.purchase_id] = [cents, fee, 0, 0]
        return purchase.purchase_id

    @rule(purchase_id=bought)
    def fulfil_again(self, purchase_id: str) -> None:
        purchase = self.context.purchases.require(self.account_id, purchase_id)
        assert not self.context.purchases.fulfil(
            with_payment(purchase, int(time.time()), "pi_x", "ch_x", None)
        )

    @rule(purchase_id=bought, refunded=st.integers(0, 5_300))
    def refund(self, purchase_id: str, refunded: int) -> None:
        """Stripe's cumulative amount refunded (any value, so also late and repeated events)."""
        cents, fee, taken, disputed = self.ref.purchases[purchase_id]
        refunded = min(refunded, cents + fee)
        self.context.purchasing.apply_refund(
            self.context.purchases.require(self.account_id, purchase_id), refunded
        )
        target = max(taken, min(min(refunded, cents) * 10_000, cents * 10_000 - disputed))
        self.ref.purchases[purchase_id][2] = target
        self.ref.available -= target - taken
        self.ref.reversed += target - taken

    @rule(purchase_id=bought, amount=st.integers(1, 5_300), dispute=st.sampled_from(["dp_1", "dp_2"]))
    def dispute(self, purchase_id: str, amount: int, dispute: str) -> None:
        cents, _, taken, disputed = self.ref.purchases[purchase_id]
        purchase = self.context.purchases.require(self.account_id, purchase_id)
        self.context.purchasing.apply_dispute(purchase, f"{purchase_id}-{dispute}", amount)
        if (purchase_id, dispute) in self.ref.disputes:
            return  # this dispute was delivered before: nothing more
        self.ref.disputes.add((purchase_id, dispute))
        take = max(0, min(amount * 10_000, cents * 10_000 - taken - disputed))
        self.ref.purchases[purchase_id][3] += take
        self.ref.available -= take
        self.ref.reversed += take

    @invariant()
    def books_match_the_reference(self) -> None:
        account = self.context.accounts.require(self.account_id)
        ref = self.ref
        assert (account.available, account.held, account.charged, account.topped_up, account.reversed) == (
            ref.available,
            ref.held,
            ref.charged,
            ref.topped_up,
            ref.reversed,
        )
        assert account.available >= -account.reversed
        assert account.available + account.held + account.charged + account.reversed == account.topped_up
        entries = self.context.ledger.entries(self.account_id)
        usage = self.context.usage.records_for_account(self.account_id, 0, 10**12)
        assert reconcile_account(account, entries, usage) == []

    @invariant()
    def each_hold_resolves_once_and_usage_equals_charges(self) -> None:
        entries = self.context.ledger.entries(self.account_id)
        holds = [e for e in entries if e["kind"] == "hold"]
        assert len({e["request_id"] for e in holds}) == len(holds)
        charges = {e["request_id"]: e["charge"] for e in holds if e["status"] == "settled"}
        assert charges == self.ref.charges
        usage = self.context.client.scan(TableName=self.context.settings.table_name("usage"))["Items"]
        assert {u["request_id"]["S"]: int(u["cost"]["N"]) for u in usage} == charges


TestLedger = LedgerMachine.TestCase
TestLedger.settings = settings(
    max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
