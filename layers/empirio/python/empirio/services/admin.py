"""Operator use cases over the accounts: opening an account with its first credit, and topping one up (once
per idempotency key). The requests' models and the views are the admin routes'."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empirio.domain.accounts import Account, Limits
from empirio.domain.money import parse_usd
from empirio.errors import InvalidRequestError
from empirio.store.accounts import request_fingerprint

if TYPE_CHECKING:
    from empirio.store.accounts import AccountStore, TopUpResult


class Admin:
    """The operator's account changes, over the accounts."""

    def __init__(self, accounts: AccountStore) -> None:
        self.accounts = accounts

    def create_account(self, name: str, credits: str, limits: dict[str, int]) -> Account:
        """A new account with ``credits`` (dollars, the API's decimal string) and the limits given."""
        return self.accounts.create(name, parse_usd(credits), Limits(**limits))

    def add_credits(
        self, account_id: str, amount: str, idempotency_key: str | None, request: dict[str, Any]
    ) -> TopUpResult:
        """Credit ``amount`` dollars once per idempotency key (``request``: the request's fields, fingerprinted so
        that a key reused for another request is refused)."""
        micros = parse_usd(amount)
        if micros <= 0:
            raise InvalidRequestError("Invalid value for 'amount': must be greater than 0.", param="amount")
        return self.accounts.top_up(account_id, micros, idempotency_key, request_fingerprint(request))
