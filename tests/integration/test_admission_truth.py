"""Only what DynamoDB holds refuses a request (#25): several Meter instances (warm functions, each with its own
in-process hints) share one table while top-ups, purchases, refunds, settles, voids and sweeps change it.

After every admission the machine compares with the books as stored: a request refused for credit is one the
stored balance cannot cover at its minimum (its max_tokens, or MIN_OUTPUT_TOKENS when the cap is chosen for it),
a request refused by its key's cap is one the stored spend leaves no room for, and an admitted request's output
cap is exactly what the stored balance and key room afforded (a stale guess never lowers it). Runs on moto,
serialized, like every integration test.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, consumes, invariant, rule

from empirio.domain.accounts import Principal
from empirio.domain.admission import KeyCap
from empirio.domain.billing import Purchase, with_payment
from empirio.domain.key_policy import KeyPolicy
from empirio.domain.keys import Scope
from empirio.domain.ledger import MIN_OUTPUT_TOKENS
from empirio.domain.money import format_usd
from empirio.domain.pricing import Usage, affordable_output_tokens, worst_case_micros
from empirio.errors import InsufficientCreditsError
from empirio.services.metering import Admission, Meter, MeterRequest, sweep
from empirio.store.accounts import request_fingerprint
from tests.integration.conftest import MODEL, MotoMachine

KEY_LIMIT = 3_000  # µ$ a day for the capped key


class AdmissionMachine(MotoMachine):
    admitted = Bundle("admitted")
    bought = Bundle("bought")

    def __init__(self) -> None:
        super().__init__()
        self.principals = {
            "free": Principal(self.account_id, "key_free", (Scope.INFERENCE,)),
            "capped": Principal(
                self.account_id,
                "key_capped",
                (Scope.INFERENCE,),
                policy=KeyPolicy(spend_limit=KEY_LIMIT, period="day"),
            ),
        }
        self.meters = [Meter(self.context.ledger) for _ in range(3)]

    def _stored_available(self) -> int:
        return self.context.accounts.require(self.account_id).available

    def _stored_spend(self, principal: Principal) -> int | None:
        key = KeyCap.of(principal, int(time.time()))
        return None if key is None else self.context.keys.spend_of(key.item_key)

    @rule(amount=st.integers(1, 4_000))
    def top_up(self, amount: int) -> None:
        self.counter += 1
        self.context.accounts.top_up(self.account_id, amount, None, request_fingerprint({"n": self.counter}))

    @rule(target=bought, cents=st.integers(1, 3))
    def buy(self, cents: int) -> str:
        self.counter += 1
        purchase = Purchase(f"pur_{self.counter}", self.account_id, cents, 0, created_at=int(time.time()))
        self.context.purchases.create(purchase)
        assert self.context.purchases.fulfil(with_payment(purchase, int(time.time()), "pi_x", "ch_x", None))
        return purchase.purchase_id

    @rule(purchase_id=bought, cents=st.integers(0, 3))
    def refund(self, purchase_id: str, cents: int) -> None:
        purchase = self.context.purchases.require(self.account_id, purchase_id)
        self.context.purchasing.apply_refund(purchase, min(cents, purchase.amount_cents))

    @rule(
        target=admitted,
        meter=st.integers(0, 2),
        who=st.sampled_from(["free", "capped"]),
        prompt=st.integers(0, 400),
        max_tokens=st.one_of(st.none(), st.integers(1, 600)),
    )
    def admit(self, meter: int, who: str, prompt: int, max_tokens: int | None) -> Admission | None:
        self.counter += 1
        principal = self.principals[who]
        request = MeterRequest(principal, f"req_{self.counter}", MODEL, prompt, max_tokens)
        available_before = self._stored_available()
        spend_before = self._stored_spend(principal)
        asked = min(max_tokens or MODEL.max_output_tokens, MODEL.max_output_tokens)
        minimum = worst_case_micros(MODEL.pricing, prompt, asked if max_tokens else MIN_OUTPUT_TOKENS)
        try:
            admission = self.meters[meter].admit(request)
        except InsufficientCreditsError as refused:
            if refused.code == "key_spend_limit_reached":
                assert spend_before is not None and KEY_LIMIT - spend_before < minimum, refused.message
                assert f"${format_usd(spend_before)} of" in refused.message
            else:
                assert available_before < minimum, (available_before, minimum, refused.message)
            assert self._stored_available() == available_before  # a refusal holds nothing
            return None
        assert available_before >= admission.hold.amount >= minimum
        if max_tokens is None:  # the cap is what the stored balance and key room afford, no less
            cap = affordable_output_tokens(MODEL.pricing, prompt, available_before, asked)
            if spend_before is not None:
                cap = affordable_output_tokens(MODEL.pricing, prompt, KEY_LIMIT - spend_before, cap)
            assert admission.max_tokens == cap
        else:
            assert admission.max_tokens == asked
        return admission

    @rule(
        admission=consumes(admitted),
        inp=st.integers(0, 500),
        out=st.integers(0, 700),
        meter=st.integers(0, 2),
    )
    def settle(self, admission: Admission | None, inp: int, out: int, meter: int) -> None:
        if admission is not None:
            self.meters[meter].settle(admission, Usage(input_tokens=inp, output_tokens=out))

    @rule(admission=consumes(admitted), meter=st.integers(0, 2))
    def void(self, admission: Admission | None, meter: int) -> None:
        if admission is not None:
            self.meters[meter].void(admission)

    @rule()
    def sweep_after_a_crash(self) -> None:
        sweep(self.context.ledger, now=int(time.time()) + 17 * 60)

    @invariant()
    def books_balance(self) -> None:
        account = self.context.accounts.require(self.account_id)
        assert account.available + account.held + account.charged + account.reversed == account.topped_up
        assert account.held >= 0 and account.available >= -account.reversed
        spend = self._stored_spend(self.principals["capped"])
        assert spend is not None and 0 <= spend <= KEY_LIMIT


TestAdmission = AdmissionMachine.TestCase
TestAdmission.settings = settings(
    max_examples=20, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
