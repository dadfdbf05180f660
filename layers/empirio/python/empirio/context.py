"""The composition root: the stores and catalog a process uses, built lazily from Settings on first use (reset by
tests), and the services built over them."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

from empirio.domain.catalog import Catalog
from empirio.services.metering import Meter
from empirio.settings import Settings, get_settings
from empirio.startup import load_catalog
from empirio.store.accounts import AccountStore
from empirio.store.chats import ChatStore
from empirio.store.dynamo import make_client
from empirio.store.identity import CognitoIdentity
from empirio.store.keys import KeyStore
from empirio.store.ledger import LedgerStore
from empirio.store.sessions import SessionStore
from empirio.store.tables import (
    ACCOUNTS,
    CHATS,
    IDEMPOTENCY,
    JOBS,
    KEYS,
    LEDGER,
    ROLLUPS,
    SESSIONS,
    USAGE,
    USERS,
)
from empirio.store.usage import UsageStore
from empirio.store.users import UserStore

if TYPE_CHECKING:
    from empirio.domain.billing import Terms
    from empirio.mail import Mailer
    from empirio.payments import Payments
    from empirio.services.admin import Admin
    from empirio.services.alert_address import AlertAddress
    from empirio.services.balance_watch import BalanceWatch
    from empirio.services.billing_settings import BillingSettings
    from empirio.services.purchasing import Purchasing
    from empirio.services.reconciliation import Reconciliation
    from empirio.services.video_jobs import VideoJobs
    from empirio.store.blobs import BlobStore
    from empirio.store.jobs import JobStore
    from empirio.store.profiles import ProfileStore
    from empirio.store.purchases import PurchaseStore


class Context:
    """Composition root: one per process (or per test)."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        self._client = client
        self.clock: Callable[[], float] = (
            time.time
        )  # what key expiry and periods are decided on (tests set it)

    @cached_property
    def client(self) -> Any:
        return self._client or make_client(self.settings.region)

    @cached_property
    def accounts(self) -> AccountStore:
        return AccountStore(
            self.client, self.settings.table_name(ACCOUNTS.logical), self.settings.table_name(LEDGER.logical)
        )

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(
            self.client, self.settings.table_name(KEYS.logical), self.settings.table_name(ACCOUNTS.logical)
        )

    @cached_property
    def ledger(self) -> LedgerStore:
        name = self.settings.table_name
        return LedgerStore(
            self.client,
            name(ACCOUNTS.logical),
            name(LEDGER.logical),
            name(USAGE.logical),
            name(IDEMPOTENCY.logical),
            name(KEYS.logical),
        )

    @cached_property
    def usage(self) -> UsageStore:
        return UsageStore(
            self.client, self.settings.table_name(USAGE.logical), self.settings.table_name(ROLLUPS.logical)
        )

    @cached_property
    def users(self) -> UserStore:
        return UserStore(self.client, self.settings.table_name(USERS.logical), self.accounts)

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.client, self.settings.table_name(SESSIONS.logical))

    @cached_property
    def chats(self) -> ChatStore:
        return ChatStore(
            self.client, self.settings.table_name(CHATS.logical), self.settings.table_name(ACCOUNTS.logical)
        )

    @cached_property
    def identity(self) -> CognitoIdentity:
        s = self.settings
        return CognitoIdentity(s.region, s.user_pool_id, s.user_pool_client_id, s.outbox)

    @cached_property
    def meter(self) -> Meter:
        return Meter(self.ledger, clock=lambda: self.clock())

    @cached_property
    def purchases(self) -> PurchaseStore:
        from empirio.store.purchases import PurchaseStore

        name = self.settings.table_name
        return PurchaseStore(self.client, name(ACCOUNTS.logical), name(LEDGER.logical))

    @cached_property
    def profiles(self) -> ProfileStore:
        from empirio.store.profiles import ProfileStore

        return ProfileStore(self.client, self.settings.table_name(ACCOUNTS.logical))

    @cached_property
    def payments(self) -> Payments:
        from empirio.payments import Payments, stripe_keys

        secret_key, webhook_secret = stripe_keys(self.settings.stripe_secret_arn)
        return Payments(secret_key, webhook_secret, self.settings.stripe_api_base)

    @cached_property
    def terms(self) -> Terms:
        from empirio.domain.billing import Terms

        s = self.settings
        return Terms(s.billing_min_cents, s.billing_max_cents, s.billing_fee_bps, s.billing_fee_fixed_cents)

    @cached_property
    def mailer(self) -> Mailer:
        from empirio.mail import Mailer

        return Mailer(
            "log" if self.settings.outbox == "log" else "ses",
            self.settings.email_sender,
            self.settings.region,
        )

    @cached_property
    def jobs(self) -> JobStore:
        from empirio.store.jobs import JobStore

        return JobStore(self.client, self.settings.table_name(JOBS.logical))

    @cached_property
    def blobs(self) -> BlobStore:
        import boto3

        from empirio.store.blobs import BlobStore

        return BlobStore(boto3.client("s3", region_name=self.settings.region), self.settings.videos_bucket)

    # The services hold no state of their own: each access builds one over the context's current stores.

    @property
    def admin(self) -> Admin:
        from empirio.services.admin import Admin

        return Admin(self.accounts)

    @property
    def alert_address(self) -> AlertAddress:
        from empirio.services.alert_address import AlertAddress

        return AlertAddress(self.profiles, self.mailer)

    @property
    def reconciliation(self) -> Reconciliation:
        from empirio.services.reconciliation import Reconciliation

        return Reconciliation(self.accounts, self.usage, self.ledger)

    @property
    def video_jobs(self) -> VideoJobs:
        from empirio.services.video_jobs import VideoJobs

        return VideoJobs(self.catalog, self.jobs, self.blobs, self.ledger, self.meter)

    @property
    def purchasing(self) -> Purchasing:
        from empirio.services.purchasing import Purchasing

        return Purchasing(self.purchases, self.accounts, self.profiles, self.payments, self.terms)

    @property
    def balance_watch(self) -> BalanceWatch:
        from empirio.services.balance_watch import BalanceWatch

        return BalanceWatch(self.profiles, self.purchases, self.payments, self.mailer, self.terms)

    @property
    def billing_settings(self) -> BillingSettings:
        from empirio.services.billing_settings import BillingSettings

        return BillingSettings(self.profiles, self.terms, self.alert_address)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.catalog_path)


_context: Context | None = None


def get_context() -> Context:
    global _context
    if _context is None:
        _context = Context(get_settings())
    return _context


def reset_context(context: Context | None = None) -> None:
    """Replace (or drop) the process context; settings are re-read from the environment."""
    global _context
    get_settings.cache_clear()
    _context = context
