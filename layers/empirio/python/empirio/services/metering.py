"""Metering: admit a request (hold + limits, one transaction), then settle or void it; and the sweeper.

This is what the inference path calls around every upstream call:

    admission = meter.admit(MeterRequest(...))      # 402 / 429 / 409 / 422 / 503 raise here: no upstream call
    try: ... call upstream with admission.max_tokens ...
    except: meter.void(admission); raise
    meter.settle(admission, usage, outcome)         # charge ≤ hold, usage record, TPM corrected
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from empirio.domain.accounts import Principal
from empirio.domain.admission import AccountView, KeyCap, Plan, plan_request, refusal
from empirio.domain.catalog import CatalogModel
from empirio.domain.ledger import HOLD_TTL_SECONDS, settle_amounts
from empirio.domain.limits import BucketState, correction_us, overtaken, plan, state
from empirio.domain.pricing import Usage, cost_micros
from empirio.domain.usage import hour_shard
from empirio.domain.usage_record import Outcome, UsageRecord
from empirio.errors import (
    ApiError,
    IdempotencyConflictError,
    IdempotencyInProgressError,
    NotFoundError,
    RateLimitError,
)
from empirio.observability import request_metrics
from empirio.store.ledger import AdmitConflict, Hold, HoldRequest, LedgerStore, SettleResult

logger = logging.getLogger("empirio.metering")
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 0.004  # jitter before retry n: uniform in [0, n·4 ms]
MIN_MARGIN_US = 50_000  # the least a contended idle plan looks ahead


@dataclass(frozen=True)
class MeterRequest:
    principal: Principal
    request_id: str
    model: CatalogModel
    prompt_tokens: int
    max_tokens: int | None = None
    idempotency_key: str | None = None
    fingerprint: str | None = None
    max_cost: int | None = None  # micro-USD the request may cost at most (x-max-cost)
    hold_seconds: int = HOLD_TTL_SECONDS  # how long the hold may stay pending (a video job waits longer)
    tpm_prompt_tokens: int | None = None  # the typical prompt count TPM reserves (None: prompt_tokens)


@dataclass(frozen=True)
class Admission:
    request: MeterRequest
    hold: Hold
    max_tokens: int  # the output cap to pass upstream
    rpm: BucketState
    tpm: BucketState


@dataclass(frozen=True)
class Settled:
    cost: int  # micro-USD the usage is worth
    charged: int  # micro-USD taken from the balance (≤ hold)
    result: SettleResult


class IdempotentReplay(Exception):
    """The Idempotency-Key already completed: answer with the stored response."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__("replay")
        self.response = response


@dataclass
class _Hints:
    """Last known limits and bucket times per account; only a guess that saves a round trip (the write's
    conditions check it). Never the balance: a view is stored as its guess (AccountView.guess)."""

    views: OrderedDict[str, AccountView] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, account_id: str) -> AccountView:
        with self.lock:
            return self.views.get(account_id) or AccountView.unknown()

    def shift_tpm(self, account_id: str, delta_us: int) -> None:
        """Apply a settle's TPM correction to the hint, so the next admission guesses the bucket's case right."""
        with self.lock:
            view = self.views.get(account_id)
            if view is not None and view.tpm_tat is not None:
                self.views[account_id] = replace(view, tpm_tat=view.tpm_tat + delta_us)

    def put(self, account_id: str, view: AccountView) -> None:
        with self.lock:
            self.views[account_id] = view.guess()
            self.views.move_to_end(account_id)
            while len(self.views) > 10_000:
                self.views.popitem(last=False)


class Meter:
    def __init__(self, ledger: LedgerStore, clock: Callable[[], float] = time.time) -> None:
        self.ledger = ledger
        self._clock = clock
        self._hints = _Hints()

    def admit(self, req: MeterRequest) -> Admission:
        """Hold and take rate capacity in one conditional transaction. A failed condition returns the stored
        account, from which the refusal (402/429) is decided or the plan corrected; an idle bucket guess that a
        concurrent admission overtook is retried with a margin (see empirio.domain.limits), so concurrent
        admissions stop overtaking each other. A hot account that still loses every attempt gets 429 with
        retry-after, never an error.

        Only what DynamoDB holds refuses: the in-process hint carries limits and bucket times, never the balance,
        and a plan that a guess (the hint, or a key's spend not yet read) would refuse is made again from a
        consistent read of the account and the key's spend item before anything is refused."""
        account_id = req.principal.account_id
        view = self._hints.get(account_id)
        key = KeyCap.of(req.principal, int(self._clock()))
        rpm_margin = tpm_margin = 0  # µs; set once an idle guess on that bucket was overtaken
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, BACKOFF_SECONDS * attempt))
            now_us = int(self._clock() * 1_000_000)
            try:
                request_plan = self._plan(req, view, key)
            except ApiError:
                if view.exact and (key is None or key.known):
                    raise
                view, key = self._read(account_id, key)
                request_plan = self._plan(req, view, key)  # what is stored refuses, or the plan stands
            rpm_plan = plan(view.rpm, 1, now_us, view.rpm_tat, rpm_margin)
            tpm_plan = plan(view.tpm, request_plan.tokens, now_us, view.tpm_tat, tpm_margin)
            hold_request = HoldRequest(
                account_id=account_id,
                request_id=req.request_id,
                key_id=req.principal.key_id,
                model=req.model.id,
                amount=request_plan.hold,
                tpm_cost=request_plan.tokens,
                assumed_rpm=view.rpm,
                assumed_tpm=view.tpm,
                rpm=rpm_plan,
                tpm=tpm_plan,
                now_us=now_us,
                expires_at=now_us // 1_000_000 + req.hold_seconds,
                idem_key=f"{account_id}#{req.idempotency_key}" if req.idempotency_key else None,
                fingerprint=req.fingerprint,
                spend_key=key.item_key if key else None,
                # the item holds charges and pending holds: this hold fits when spend + hold <= limit
                spend_room=key.limit - request_plan.hold if key else 0,
            )
            try:
                self.ledger.admit(hold_request)
            except AdmitConflict as conflict:
                if conflict.idempotency is not None:
                    self._idempotency_outcome(conflict.idempotency, req)
                if conflict.contended:
                    continue  # other transactions held the item; nothing was decided
                if conflict.key_spend is not None and key is not None:
                    key = key.seen(conflict.key_spend)
                    if conflict.account is None:
                        continue  # only the key's cap refused: replan (or refuse) on what it holds
                if conflict.account is None:
                    raise NotFoundError("The account of this API key no longer exists.") from None
                view = AccountView.from_item(conflict.account)
                self._hints.put(account_id, view)
                replanned = self._plan(req, view, key)  # may refuse: the view is exact
                error = refusal(req.model, req.prompt_tokens, req.max_tokens, replanned, view, now_us)
                if error is not None:
                    raise error from None
                # An overtaken idle guess retries from a threshold past the time this attempt took to land
                # (twice it, as load grows), so the winner's write makes the bucket busy for the others.
                took = int(self._clock() * 1_000_000) - now_us
                if overtaken(rpm_plan, view.rpm_tat):
                    rpm_margin = max(rpm_margin * 2, 2 * took, MIN_MARGIN_US)
                if overtaken(tpm_plan, view.tpm_tat):
                    tpm_margin = max(tpm_margin * 2, 2 * took, MIN_MARGIN_US)
                continue
            return self._admitted(req, hold_request, request_plan, view, now_us)
        raise RateLimitError(
            "Too many concurrent requests on this account right now; retry after the time in retry-after.",
            headers={"retry-after": "1"},
            code="account_busy",
        )

    @staticmethod
    def _plan(req: MeterRequest, view: AccountView, key: KeyCap | None) -> Plan:
        return plan_request(
            req.model, req.prompt_tokens, req.max_tokens, view, req.max_cost, key, req.tpm_prompt_tokens
        )

    def _read(self, account_id: str, key: KeyCap | None) -> tuple[AccountView, KeyCap | None]:
        """The account and the key's spend as stored (consistent reads), before a refusal is decided."""
        item = self.ledger.account_item(account_id)
        if item is None:
            raise NotFoundError("The account of this API key no longer exists.")
        view = AccountView.from_item(item)
        self._hints.put(account_id, view)
        if key is not None and not key.known:
            key = key.seen(self.ledger.key_spend(key.item_key))
        return view, key

    def _admitted(
        self, req: MeterRequest, hr: HoldRequest, p: Plan, view: AccountView, now_us: int
    ) -> Admission:
        rpm_tat = max(view.rpm_tat or 0, now_us) + hr.rpm.increment
        tpm_tat = max(view.tpm_tat or 0, now_us) + hr.tpm.increment
        self._hints.put(req.principal.account_id, replace(view, rpm_tat=rpm_tat, tpm_tat=tpm_tat))
        hold = Hold(
            account_id=hr.account_id,
            request_id=hr.request_id,
            amount=hr.amount,
            tpm_cost=hr.tpm_cost,
            tpm_limit=hr.assumed_tpm,
            idem_key=hr.idem_key,
            expires_at=hr.expires_at,
            spend_key=hr.spend_key,
        )
        return Admission(
            request=req,
            hold=hold,
            max_tokens=p.cap,
            rpm=state(view.rpm, now_us, rpm_tat),
            tpm=state(view.tpm, now_us, tpm_tat),
        )

    @staticmethod
    def _idempotency_outcome(record: dict[str, Any], req: MeterRequest) -> None:
        if record.get("fingerprint") != req.fingerprint:
            raise IdempotencyConflictError(
                "This Idempotency-Key was already used with a different request body.",
                param="Idempotency-Key",
            )
        if record.get("status") == "done" and record.get("response"):
            raise IdempotentReplay(record["response"])
        raise IdempotencyInProgressError(
            "A request with this Idempotency-Key is still in progress; retry after it completes.",
            headers={"retry-after": "1"},
        )

    def settle(
        self,
        admission: Admission,
        usage: Usage,
        outcome: Outcome | None = None,
        response: dict[str, Any] | None = None,
        model: CatalogModel | None = None,
    ) -> Settled:
        """Charge the usage (never more than the hold), write the usage record, store the idempotent response.
        ``model`` is the one that served when it is not the one admitted (a fallback): its prices apply."""
        return self.settle_hold(admission.request, admission.hold, usage, outcome, response, model)

    def settle_hold(
        self,
        req: MeterRequest,
        hold: Hold,
        usage: Usage,
        outcome: Outcome | None = None,
        response: dict[str, Any] | None = None,
        model: CatalogModel | None = None,
    ) -> Settled:
        """``settle`` for a hold read back from the ledger (a job settled by whoever observes its end)."""
        cost = cost_micros(usage, (model or req.model).pricing)
        split = settle_amounts(hold.amount, cost)
        usage_record = self._usage_record(req, usage, split.charge, cost, split.house_loss, outcome)
        result = self.ledger.settle(hold, split, usage.total_tokens, usage_record.to_item(), response)
        request_metrics(usage_record)
        if result.settled:
            self._hints.shift_tpm(
                hold.account_id, correction_us(hold.tpm_limit, hold.tpm_cost, usage.total_tokens)
            )
        if not result.settled and not result.already:
            logger.warning(
                "late settle lost to %s: request %s not charged", result.extra.get("status"), req.request_id
            )
        charged = split.charge if (result.settled or result.already) else 0
        return Settled(cost=cost, charged=charged, result=result)

    def _usage_record(
        self,
        req: MeterRequest,
        usage: Usage,
        charge: int,
        price: int,
        house_loss: int,
        outcome: Outcome | None,
    ) -> UsageRecord:
        """The one place a usage record is made: the caller's outcome (or, without one, the admitted model) with
        the ids, the time, the index keys, the usage and the money."""
        now = int(self._clock())
        return UsageRecord(
            request_id=req.request_id,
            account_id=req.principal.account_id,
            key_id=req.principal.key_id,
            created_at=now,
            sort_key=f"{now:012d}#{req.request_id}",
            hour_shard=hour_shard(now, req.request_id),
            outcome=outcome or Outcome(model=req.model.id, provider=req.model.provider),
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cached_input_tokens=usage.cached_input_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost=charge,
            price=price,
            house_loss=house_loss,
        )

    def void(self, admission: Admission, outcome: Outcome | None = None) -> SettleResult:
        """Release the whole hold: the upstream call failed before producing anything billable. With ``outcome``
        (what the failure was), a usage record with no usage and no cost is written in the same transaction."""
        return self.void_hold(admission.request, admission.hold, outcome)

    def void_hold(self, req: MeterRequest, hold: Hold, outcome: Outcome | None = None) -> SettleResult:
        """``void`` for a hold read back from the ledger (a failed or cancelled job)."""
        record = self._usage_record(req, Usage(), 0, 0, 0, outcome) if outcome is not None else None
        result = self.ledger.void(hold, record.to_item() if record is not None else None)
        if result.settled:
            self._hints.shift_tpm(hold.account_id, correction_us(hold.tpm_limit, hold.tpm_cost, 0))
        return result


@dataclass(frozen=True)
class SweepReport:
    expired: int
    lost_races: int


def sweep(ledger: LedgerStore, now: int | None = None) -> SweepReport:
    """Release every pending hold past its expiry. Each release is conditional on the hold still pending and
    expired, so a concurrent late settle or a second sweeper can never release it twice."""
    now = int(time.time()) if now is None else now
    expired = lost = 0
    for hold in ledger.pending_holds(now):
        result = ledger.expire(hold, now)
        if result.settled:
            expired += 1
        else:
            lost += 1
    if expired:
        logger.info("sweeper released %d expired holds", expired)
    return SweepReport(expired=expired, lost_races=lost)
