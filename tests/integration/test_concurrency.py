"""Money and limits under concurrency, on serialized moto: our conditions decide, never process memory.

Each thread uses its own Meter (as separate Lambda instances would), so no in-process state is shared.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from empirio.domain.pricing import Usage
from empirio.errors import InsufficientCreditsError, RateLimitError
from empirio.services.metering import Admission, Meter, sweep
from tests.integration.conftest import Books


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; returns results or raised exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # collected and asserted on by the caller
            results[i] = error

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-instances", "warm-instance"])
def test_balance_for_exactly_10_holds_admits_exactly_10_of_50(make_books: Any, aws: Any, warm: bool) -> None:
    books: Books = make_books(credits=10 * 500, rpm=1000)  # each request holds 100·1 + 200·2 = 500
    shared = Meter(aws.ledger)
    if warm:  # a warm instance knows the account, so every attempt goes straight to the conditional write
        shared.void(shared.admit(books.request(prompt=1, max_tokens=1)))
    requests = [books.request(prompt=100, max_tokens=200) for _ in range(50)]
    results = run_concurrently(50, lambda i: (shared if warm else Meter(aws.ledger)).admit(requests[i]))
    admitted = [r for r in results if isinstance(r, Admission)]
    refused = [r for r in results if isinstance(r, InsufficientCreditsError)]
    assert len(admitted) == 10 and len(refused) == 40, [type(r) for r in results]
    assert books.account().available == 0 and books.account().held == 5000
    books.assert_books_balance()


class CountingLedger:
    """The ledger store, counting admission attempts (each is one DynamoDB transaction)."""

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self.attempts = 0
        self._lock = threading.Lock()

    def admit(self, request: Any) -> None:
        with self._lock:
            self.attempts += 1
        self._ledger.admit(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-instances", "warm-instance"])
def test_200_concurrent_on_one_hot_account_with_busy_cores_get_only_admissions_or_429s_within_the_bound(
    make_books: Any, aws: Any, warm: bool, busy_cores: None
) -> None:
    books: Books = make_books(rpm=20)
    ledger = CountingLedger(aws.ledger)
    shared = Meter(ledger)  # type: ignore[arg-type]
    started = time.monotonic()
    if warm:
        shared.void(shared.admit(books.request(prompt=1, max_tokens=1)))
    requests = [books.request(prompt=10, max_tokens=10) for _ in range(200)]
    results = run_concurrently(200, lambda i: (shared if warm else Meter(ledger)).admit(requests[i]))  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    admitted = sum(isinstance(r, Admission) for r in results) + warm
    limited = [r for r in results if isinstance(r, RateLimitError)]
    others = [r for r in results if not isinstance(r, Admission | RateLimitError)]
    assert not others, others[:3]  # never an error that is neither (no 503 "busy", no 500)
    # Published: at most L + L·t/60 requests in any window of t seconds (token bucket, capacity L).
    assert 20 <= admitted <= 20 + 20 * elapsed / 60, (admitted, elapsed)
    assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert ledger.attempts <= 4 * 200, ledger.attempts  # linear in the requests, not quadratic
    books.assert_books_balance()


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-instances", "warm-instance"])
def test_a_tpm_hot_account_converges_without_retries_growing_with_concurrency(
    make_books: Any, aws: Any, warm: bool, busy_cores: None
) -> None:
    """A bucket with a small increment (here TPM 2,000,000, 20 tokens a request) on an idle account: the case
    that made every attempt lose to the next winner."""
    books: Books = make_books(rpm=100_000, tpm=2_000_000)
    ledger = CountingLedger(aws.ledger)
    shared = Meter(ledger)  # type: ignore[arg-type]
    if warm:
        shared.void(shared.admit(books.request(prompt=1, max_tokens=1)))
    requests = [books.request(prompt=10, max_tokens=10) for _ in range(200)]
    results = run_concurrently(200, lambda i: (shared if warm else Meter(ledger)).admit(requests[i]))  # type: ignore[arg-type]
    assert all(isinstance(r, Admission) for r in results), [
        r for r in results if not isinstance(r, Admission)
    ][:3]
    assert ledger.attempts <= 4 * 200, ledger.attempts
    books.assert_books_balance()


def test_tpm_bound_holds_under_concurrency(make_books: Any, aws: Any) -> None:
    books: Books = make_books(tpm=10_000)
    requests = [books.request(prompt=500, max_tokens=500) for _ in range(40)]  # 1000 tokens each
    started = time.monotonic()
    results = run_concurrently(40, lambda i: Meter(aws.ledger).admit(requests[i]))
    elapsed = time.monotonic() - started
    tokens = 1000 * sum(isinstance(r, Admission) for r in results)
    assert 10_000 <= tokens <= 10_000 + 10_000 * elapsed / 60 + 1000
    assert all(isinstance(r, Admission | RateLimitError) for r in results)


def test_a_sweep_racing_late_settles_has_exactly_one_winner_per_hold(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    admissions = [books.admit(prompt=10, max_tokens=10) for _ in range(20)]
    after_expiry = int(time.time()) + 17 * 60

    def work(i: int) -> Any:
        if i < 8:
            return sweep(aws.ledger, now=after_expiry)
        return [
            Meter(aws.ledger).settle(a, Usage(input_tokens=10, output_tokens=10))
            for a in admissions[i - 8 :: 8]
        ]

    results = run_concurrently(16, work)
    assert not [r for r in results if isinstance(r, Exception)]
    expired = sum(r.expired for r in results[:8])
    settled = sum(s.result.settled for batch in results[8:] for s in batch)
    assert expired + settled == 20
    entries = books.entries()
    assert sum(e["kind"] == "hold" and e["status"] in {"settled", "expired"} for e in entries) == 20
    assert books.account().held == 0
    books.assert_books_balance()


def test_concurrent_settle_and_void_of_one_hold_resolve_it_once(make_books: Any, aws: Any) -> None:
    books: Books = make_books(credits=1_000_000)
    for _ in range(10):
        admission = books.admit()

        def work(i: int, admission: Admission = admission) -> Any:
            meter = Meter(aws.ledger)
            return meter.settle(admission, Usage(10, 10)).result if i % 2 else meter.void(admission)

        results = run_concurrently(4, work)
        assert sum(r.settled for r in results) == 1
    books.assert_books_balance()
