"""Accounts, their limits and their keys as plain values (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from empirio.domain.key_policy import KeyPolicy
from empirio.domain.keys import Scope


@dataclass(frozen=True)
class Limits:
    """Per-account limits; the defaults are the product's published defaults."""

    rpm: int = 50
    tpm: int = 2_000_000
    max_keys: int = 50
    max_chats: int = 50

    FIELDS = ("rpm", "tpm", "max_keys", "max_chats")


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    available: int  # micro-USD that can be spent now
    held: int  # micro-USD reserved by in-flight requests
    topped_up: int  # micro-USD ever credited
    charged: int  # micro-USD ever charged for requests
    limits: Limits
    key_count: int
    chat_count: int
    created_at: int
    timezone: str = "UTC"  # IANA name; the account's day boundaries (usage by day, dashboard)
    rpm_tat: int | None = None  # token-bucket state (see empirio.domain.limits)
    tpm_tat: int | None = None
    reversed: int = 0  # micro-USD of paid credit taken back by refunds and disputes


@dataclass(frozen=True)
class ApiKey:
    """A key as stored and listed: never the plaintext."""

    key_id: str
    account_id: str
    name: str
    scopes: tuple[Scope, ...]
    display: str
    created_at: int
    revoked_at: int | None = None
    policy: KeyPolicy = field(default_factory=KeyPolicy)
    superseded_at: int | None = (
        None  # a rotated-out secret, working until its grace period ends (policy expiry)
    )


@dataclass(frozen=True)
class Principal:
    """Who is calling: the result of authenticating a key."""

    account_id: str
    key_id: str
    scopes: tuple[Scope, ...] = field(default_factory=tuple)
    via_session: bool = False  # a person signed in to the console, not an API key
    policy: KeyPolicy = field(default_factory=KeyPolicy)
    timezone: str = "UTC"  # the account's, for the periods of a capped key

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class User:
    """A person who signs in to the console (a Cognito user, by its ``sub``), linked to one account."""

    user_id: str
    account_id: str
    email: str
    created_at: int
