"""The token bucket's arithmetic: the published bound, plans (contended ones too) and the reported state."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.limits import MINUTE_US, admits, correction_us, openai_duration, overtaken, plan, state
from empirio.formats import anthropic_messages, openai_chat


def simulate(limit: int, arrivals: list[int], cost: int = 1) -> list[int]:
    """Admit at each arrival time (µs) by the stored-tat rules; returns admitted times."""
    tat: int | None = None
    admitted = []
    for now in arrivals:
        if admits(limit, cost, now, tat):
            p = plan(limit, cost, now, tat)
            tat = (tat + p.increment) if p.busy and tat is not None else now + p.increment
            admitted.append(now)
    return admitted


@given(st.integers(1, 120), st.lists(st.integers(0, 3 * MINUTE_US), min_size=1, max_size=300))
def test_no_window_of_t_seconds_admits_more_than_l_plus_l_t_over_60(limit: int, times: list[int]) -> None:
    admitted = simulate(limit, sorted(times))
    for i, start in enumerate(admitted):
        for j in range(i, len(admitted)):
            t = admitted[j] - start
            assert j - i + 1 <= limit + limit * t / MINUTE_US


def test_a_full_bucket_admits_a_burst_of_l_then_refills_at_l_per_minute() -> None:
    assert len(simulate(20, [0] * 100)) == 20
    assert len(simulate(20, [0] * 25 + [3_000_000] * 5)) == 21  # one more unit refilled after 3 s


def test_the_state_reports_remaining_and_reset() -> None:
    now = 10 * MINUTE_US
    full = state(50, now, None)
    assert (full.remaining, full.reset_seconds) == (50, 0)
    tat = now + 6 * MINUTE_US // 50  # 6 units consumed
    assert state(50, now, tat).remaining == 44 and state(50, now, tat).reset_seconds == 7.2


def test_a_refund_never_frees_more_than_was_taken() -> None:
    assert correction_us(60, reserved=100, actual=40) == -60 * 1_000_000
    assert correction_us(7, reserved=3, actual=2) >= -(MINUTE_US // 7) - 1
    assert correction_us(7, reserved=2, actual=3) > 0


def test_header_formats() -> None:
    assert openai_duration(0.12) == "120ms" and openai_duration(6) == "6s" and openai_duration(360) == "6m0s"
    full = state(50, 0, None)
    assert openai_chat.rate_limit_headers(full, full, now=0)["x-ratelimit-remaining-requests"] == "50"
    assert (
        anthropic_messages.rate_limit_headers(full, full, now=0)["anthropic-ratelimit-tokens-reset"]
        == "1970-01-01T00:00:00Z"
    )


def apply(p: Any, tat: int | None) -> int | None:
    """What the stored conditions do: the new tat, or None when the condition fails."""
    if p.busy:
        return tat + p.increment if tat is not None and p.threshold <= tat <= p.deadline else None
    return p.threshold + p.increment if tat is None or tat < p.threshold else None


@given(
    st.integers(1, 2_000_000),
    st.integers(1, 5_000),
    st.integers(0, 2 * MINUTE_US),
    st.one_of(st.none(), st.integers(0, 4 * MINUTE_US)),
    st.integers(0, 5_000_000),
    st.integers(-3_000_000, 3_000_000),
)
def test_a_contended_plan_never_takes_less_than_the_exact_bucket_would(
    limit: int, cost: int, now: int, tat: int | None, margin: int, drift: int
) -> None:
    """Whatever the margin and however the stored tat moved since it was read (drift), a write that lands sets
    a tat at least as late as GCRA's max(tat, now) + cost·I, and only when GCRA admits: the bound holds."""
    cost = min(cost, limit)
    p = plan(limit, cost, now, tat, margin)
    stored = None if tat is None else max(0, tat + drift)
    written = apply(p, stored)
    if written is not None:
        assert admits(limit, cost, now, stored)
        assert written >= max(stored or 0, now) + p.increment
        assert (
            written - (max(stored or 0, now) + p.increment) <= 1_000_000 + 250_000
        )  # what a margin gives away


def test_an_overtaken_idle_plan_retries_ahead_on_a_shared_grid() -> None:
    now = 10 * MINUTE_US + 123
    a, b = plan(2_000_000, 20, now, None, 50_000), plan(2_000_000, 20, now + 7_000, None, 60_000)
    assert a.threshold == b.threshold > now + 50_000 and a.threshold % 250_000 == 0
    assert overtaken(plan(2_000_000, 20, now, None), now + 5) and not overtaken(
        plan(50, 1, now, now + 5), now + 9
    )
    assert plan(1, 1, now, None, 50_000).threshold == now  # a bucket with no room to give away stays exact
