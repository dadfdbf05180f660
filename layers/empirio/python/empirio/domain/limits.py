"""Rate limits as token buckets kept in DynamoDB (GCRA), and what a refusal or an admission tells the client.

Meaning of a limit of L per minute: a bucket of capacity L refilled at L/60 per second. Any window of t seconds
admits at most L + L·t/60 units (requests for RPM; prompt + max_tokens for TPM, corrected to the actual tokens
at settle). A fresh or idle account can burst L at once.

State is one integer per bucket, the theoretical arrival time ``tat`` in epoch microseconds: the moment the
bucket would be full again. Admitting a cost c needs max(tat, now) + c·I - now ≤ L·I, I = 60 s / L; then
tat becomes max(tat, now) + c·I. DynamoDB conditions cannot compute max(), so each admission is planned for
one of two cases: "busy" (tat ≥ now: condition now ≤ tat ≤ deadline, add c·I) or "idle" (tat < T or absent:
set tat = T + c·I, T normally now), and replanned with the stored tat returned by a failed condition when the
guess was wrong. Both conditions use constants, so a busy plan stays right however long it takes to land
(increments commute); only an idle guess can be overtaken, when a concurrent admission moves tat past T. A
retry that lost such a race therefore plans its idle case with T a margin after now: it may take up to the
margin of extra capacity (never admitting more than the bound), and once one such write lands, the other
concurrent admissions find the bucket busy. Without that, N concurrent admissions on an idle bucket with a
small increment (TPM) each win one round in turn: N² attempts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

MINUTE_US = 60_000_000
POLICY = (
    "token bucket per account: a limit of L per minute has capacity L and refills at L/60 per second, so any "
    "window of t seconds admits at most L + L*t/60 (requests for rpm; prompt + max_tokens for tpm, corrected "
    "to the actual tokens when the request settles)"
)


CONTENDED_GRID_US = 250_000  # contended idle plans share thresholds on this grid, so concurrent ones agree
MAX_MARGIN_US = 1_000_000


@dataclass(frozen=True)
class BucketPlan:
    """How to write one bucket for one admission."""

    busy: bool  # True: condition tat BETWEEN threshold AND deadline, tat += increment; False: tat := threshold + inc
    increment: int  # microseconds of refill the cost consumes
    deadline: int  # largest stored tat that still admits the cost (busy case)
    threshold: int = (
        0  # busy: the least tat admitted (now); idle: tat is set from it (now, or later if contended)
    )


def interval(limit: int) -> Fraction:
    """Microseconds per unit of a per-minute limit."""
    return Fraction(MINUTE_US, limit)


def plan(limit: int, cost: int, now: int, known_tat: int | None, margin: int = 0) -> BucketPlan:
    """Plan an admission of ``cost`` units; ``known_tat`` is the last stored value seen (None: assume idle).
    ``margin`` (µs): the last attempt lost a race on this idle bucket, so set it from a threshold at least that
    far after now (at most a second or an eighth of the bucket), rounded up to a grid so that concurrent
    retries pick the same one. The capacity this may give away is the price of not livelocking."""
    step = interval(limit)
    increment = math.ceil(
        cost * step
    )  # rounding up refills slightly slower: never admits more than the bound
    deadline = now + math.floor((limit - cost) * step)
    busy = known_tat is not None and known_tat >= now
    threshold = now
    if margin and not busy:
        # At most a second, and an eighth of the bucket: the capacity a contended retry may give away.
        ahead = min(margin, MAX_MARGIN_US, (deadline - now) // 8)
        if ahead > 0:
            threshold = -(-(now + ahead) // CONTENDED_GRID_US) * CONTENDED_GRID_US
    return BucketPlan(busy=busy, increment=increment, deadline=deadline, threshold=threshold)


def overtaken(bucket: BucketPlan, stored_tat: int | None) -> bool:
    """Whether a failed idle plan lost to a concurrent admission (the stored tat reached its threshold)."""
    return not bucket.busy and stored_tat is not None and stored_tat >= bucket.threshold


def admits(limit: int, cost: int, now: int, tat: int | None) -> bool:
    """Whether the bucket with stored ``tat`` admits ``cost`` at ``now``."""
    return cost <= limit and max(tat or 0, now) <= plan(limit, cost, now, tat).deadline


def retry_after_seconds(limit: int, cost: int, now: int, tat: int | None) -> int:
    """Whole seconds until ``cost`` would be admitted (at least 1)."""
    wait_us = max(tat or 0, now) - plan(limit, cost, now, tat).deadline
    return max(1, math.ceil(wait_us / 1_000_000))


@dataclass(frozen=True)
class BucketState:
    """What the rate-limit headers report for one bucket."""

    limit: int
    remaining: int
    reset_seconds: float  # until the bucket is full again


def state(limit: int, now: int, tat: int | None) -> BucketState:
    debt = max(0, (tat or 0) - now)
    used = math.ceil(debt / interval(limit))
    return BucketState(limit=limit, remaining=max(0, limit - used), reset_seconds=debt / 1_000_000)


def openai_duration(seconds: float) -> str:
    """OpenAI's reset format: ``"1s"``, ``"6m0s"``, ``"120ms"``."""
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    minutes, rest = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


def correction_us(limit: int, reserved: int, actual: int) -> int:
    """The bucket correction when ``actual`` units replace ``reserved`` ones (negative: a refund). Refunds are
    rounded toward zero, so a correction never frees more capacity than was taken."""
    if limit <= 0:
        return 0
    return math.ceil((actual - reserved) * interval(limit))
