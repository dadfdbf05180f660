"""Ledger rules: how a hold resolves into a charge, a release and (rarely) a house loss. Pure arithmetic.

Entries per account, all integer micro-USD: ``topup`` (+available), ``hold`` (available → held), and exactly one
resolution per hold: ``charge`` (held → charged, the rest back to available), ``void`` or ``expire`` (held →
available). Invariants: available ≥ 0; available + held + charged = topped_up; a hold resolves once.
"""

from __future__ import annotations

from dataclasses import dataclass

HOLD_TTL_SECONDS = 16 * 60  # a Lambda runs ≤ 15 min; the sweeper expires holds older than this
MIN_OUTPUT_TOKENS = 16  # below this an automatically lowered max_tokens is refused instead (402)


@dataclass(frozen=True)
class Settlement:
    """How a hold of ``hold`` micro-USD settles against an actual cost."""

    charge: int
    release: int
    house_loss: int


def settle_amounts(hold: int, actual_cost: int) -> Settlement:
    """Charge the actual cost but never more than the hold; an excess is the house's loss, not the customer's."""
    if hold < 0 or actual_cost < 0:
        raise ValueError("amounts cannot be negative")
    charge = min(hold, actual_cost)
    return Settlement(charge=charge, release=hold - charge, house_loss=actual_cost - charge)


def pending_shard(request_id: str, shards: int = 16) -> str:
    """The sparse-index partition of a pending hold (spread so no single index partition runs hot)."""
    return f"pending#{sum(request_id.encode()) % shards:02d}"


PENDING_SHARDS = tuple(f"pending#{i:02d}" for i in range(16))


def pending_until(expires_at: int) -> str:
    """Sortable string form of an expiry (index sort keys here are strings)."""
    return f"{expires_at:012d}"
