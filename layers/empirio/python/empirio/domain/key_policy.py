"""What one API key may do beyond its scopes: spend up to a cap per period, until an expiry, on listed models.

The cap is counted in one item per key and period (``spend#<key id>#<period>``): admission adds the hold to it
under the condition that the cap still has room, in the same transaction as the credit hold; settling takes back
what was held and not charged. A new period is a new item, so nothing is ever reset, and a rotated key (same key
id) keeps counting in the same item. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from empirio.domain.money import format_usd

Period = Literal["day", "week", "month", "lifetime"]
PERIODS: tuple[str, ...] = get_args(Period)
ADJECTIVE = {"day": "daily", "week": "weekly", "month": "monthly", "lifetime": "lifetime"}


@dataclass(frozen=True)
class KeyPolicy:
    spend_limit: int | None = None  # micro-USD per period; None: no cap
    period: Period = "lifetime"
    expires_at: int | None = None  # epoch seconds; None: never
    allowed_models: tuple[str, ...] = ()  # catalog ids; empty: every model

    @property
    def capped(self) -> bool:
        return self.spend_limit is not None

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def allows(self, model_id: str) -> bool:
        return not self.allowed_models or model_id in self.allowed_models


def _start(period: Period, now: int, tz: ZoneInfo) -> datetime:
    local = datetime.fromtimestamp(now, tz)
    midnight = datetime(local.year, local.month, local.day, tzinfo=tz)
    if period == "week":  # ISO weeks start on Monday
        return _local_midnight(midnight - timedelta(days=local.weekday()), tz)
    if period == "month":
        return midnight.replace(day=1)
    return midnight


def _local_midnight(moment: datetime, tz: ZoneInfo) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=tz)


def period_label(period: Period, now: int, tz: ZoneInfo) -> str:
    """The period ``now`` falls in, as the suffix of its spend item: ``2026-12-01``, ``2026-W49``, ``2026-12``."""
    if period == "lifetime":
        return "lifetime"
    start = _start(period, now, tz)
    if period == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m" if period == "month" else "%Y-%m-%d")


def period_end(period: Period, now: int, tz: ZoneInfo) -> int | None:
    """Epoch seconds when the period of ``now`` ends and the key's spend starts again from zero (None: never)."""
    if period == "lifetime":
        return None
    start = _start(period, now, tz)
    if period == "day":
        end = _local_midnight(start + timedelta(days=1, hours=3), tz)
    elif period == "week":
        end = _local_midnight(start + timedelta(days=7, hours=3), tz)
    else:
        end = _local_midnight((start + timedelta(days=32)).replace(day=1), tz)
    return int(end.timestamp())


def spend_item_key(key_id: str, period: Period, now: int, tz: ZoneInfo) -> str:
    return f"spend#{key_id}#{period_label(period, now, tz)}"


def cap_message(key_id: str, policy: KeyPolicy, spent: int, now: int, tz: ZoneInfo) -> str:
    """Why a capped key refuses a request: the key, its cap and spend, and when the period resets."""
    limit = policy.spend_limit or 0
    end = period_end(policy.period, now, tz)
    when = (
        f"it resets at {datetime.fromtimestamp(end, tz).isoformat()} ({ADJECTIVE[policy.period]} cap)"
        if end is not None
        else "it is a lifetime cap; raise it or use another key"
    )
    return (
        f"Spend limit reached for key {key_id}: ${format_usd(spent)} of ${format_usd(limit)} spent or held, and "
        f"this request's worst case does not fit; {when}."
    )
