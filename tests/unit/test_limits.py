"""The token bucket's arithmetic: the published bound, plans and the reported state."""

from hypothesis import given
from hypothesis import strategies as st

from empirio.domain.limits import MINUTE_US, admits, correction_us, openai_duration, plan, state
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
