"""Fixtures for the money and limits tests: an account, a principal and a simply priced model."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis.stateful import RuleBasedStateMachine

from empirio.context import Context, reset_context
from empirio.domain.accounts import Limits, Principal
from empirio.domain.catalog import CatalogModel
from empirio.domain.keys import Scope
from empirio.services.metering import Admission, Meter, MeterRequest
from empirio.settings import Settings
from empirio_cli.localaws import create_tables, start_mock_aws

# $1 per million input tokens and $2 per million output tokens: 1 and 2 micro-USD per token.
MODEL = CatalogModel.model_validate(
    {
        "id": "test/simple",
        "provider": "openai",
        "upstream_model": "simple",
        "base_url": "http://127.0.0.1:9",
        "pricing": {"input_per_mtok": "1", "output_per_mtok": "2"},
        "context_window": 100_000,
        "max_output_tokens": 4_000,
        "region": "local",
        "modalities": {"input": ["text"], "output": ["text"]},
        "endpoints": ["/v1/chat/completions"],
    }
)


@dataclass
class Books:
    """An account under test and the means to read its books."""

    context: Any
    account_id: str
    principal: Principal
    meter: Meter
    counter: int = 0

    def request(self, prompt: int = 100, max_tokens: int | None = 100, **kwargs: Any) -> MeterRequest:
        self.counter += 1
        return MeterRequest(
            principal=self.principal,
            request_id=f"req_{self.account_id}_{self.counter}",
            model=MODEL,
            prompt_tokens=prompt,
            max_tokens=max_tokens,
            **kwargs,
        )

    def admit(self, **kwargs: Any) -> Admission:
        return self.meter.admit(self.request(**kwargs))

    def account(self) -> Any:
        return self.context.accounts.require(self.account_id)

    def entries(self) -> list[dict[str, Any]]:
        return list(self.context.ledger.entries(self.account_id))

    def assert_books_balance(self) -> None:
        """available ≥ 0; available + held + Σcharges = Σtop-ups; each hold resolved at most once; usage = charges."""
        account = self.account()
        entries = self.entries()
        topups = sum(e["amount"] for e in entries if e["kind"] == "topup")
        holds = {e["request_id"]: e for e in entries if e["kind"] == "hold"}
        assert len(holds) == sum(e["kind"] == "hold" for e in entries)  # one hold entry per request id
        resolutions = [h for h in holds.values() if h["status"] != "pending"]
        charges = sum(h["charge"] for h in resolutions if h["status"] == "settled")
        pending = sum(h["amount"] for h in holds.values() if h["status"] == "pending")
        assert account.available >= 0
        assert account.available + account.held + account.charged == account.topped_up == topups
        assert account.charged == charges and account.held == pending
        for r in resolutions:
            assert r["status"] in {"settled", "voided", "expired"} and r.get("resolved_at")
            assert r.get("charge", 0) <= r["amount"] and (r["status"] == "settled" or "charge" not in r)
        usage = self.context.client.scan(TableName=self.context.settings.table_name("usage"))["Items"]
        usage_costs = {
            u["request_id"]["S"]: int(u["cost"]["N"])
            for u in usage
            if u["account_id"]["S"] == self.account_id
        }
        assert usage_costs == {r["request_id"]: r["charge"] for r in resolutions if r["status"] == "settled"}

        assert self.context.reconciliation.differences() == []  # and the reconciliation job agrees


@pytest.fixture
def make_books(aws: Any) -> Any:
    def make(credits: int = 10_000_000, meter: Meter | None = None, **limits: int) -> Books:
        account = aws.accounts.create("books", credits, Limits(**limits))
        principal = Principal(account_id=account.account_id, key_id="key_test", scopes=(Scope.INFERENCE,))
        return Books(aws, account.account_id, principal, meter or Meter(aws.ledger))

    return make


def _spin() -> None:
    while True:
        pass


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Every core kept busy by another process while the test runs (a loaded CI machine)."""
    processes = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(os.cpu_count() or 2)]
    for process in processes:
        process.start()
    yield
    for process in processes:
        process.terminate()
        process.join()


class MotoMachine(RuleBasedStateMachine):
    """A hypothesis state machine over one account (no credits, limits out of the way) in a fresh moto of its
    own; subclasses add the rules."""

    def __init__(self) -> None:
        super().__init__()
        self.mock = start_mock_aws()
        self.context = Context(Settings.from_env())
        reset_context(self.context)
        create_tables(self.context.client, self.context.settings)
        limits = Limits(rpm=100_000, tpm=1_000_000_000)
        self.account_id = self.context.accounts.create(type(self).__name__, 0, limits).account_id
        self.counter = 0

    def teardown(self) -> None:
        reset_context(None)
        self.mock.stop()
