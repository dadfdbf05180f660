"""Confirming a low-balance alert address (pure): nothing but one confirmation goes to an address until its owner
follows the link in it, so the alert cannot be used to mail strangers.

- An address the account's own person signed in with (Cognito verified it) is confirmed at once.
- Any other new address is ``pending``: it gets one message with a link holding an unguessable token, valid
  ``CONFIRM_SECONDS``, usable once; only the token's SHA-256 is stored. Changing the address again starts over
  (the old link stops working).
- At most one confirmation message per address per ``MAIL_INTERVAL_SECONDS``, across all accounts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

AlertEmailStatus = Literal["pending", "confirmed"]
Plan = Literal["keep", "confirm", "send", "resend"]
CONFIRM_SECONDS = 24 * 3600
MAIL_INTERVAL_SECONDS = 15 * 60
CONFIRM_PATH = "/console/alert-email/confirm"


def same_address(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def plan(
    current: str | None,
    confirmed: bool,
    confirm_until: int,
    requested: str | None,
    verified: str | None,
    now: int,
) -> Plan:
    """What a settings change does to the alert address: ``keep`` it, ``confirm`` it at once (the person's own
    verified address), ``send`` a confirmation to a new address (refused while the address's rate limit holds),
    or ``resend`` one to the unchanged address whose link has lapsed (skipped while the rate limit holds)."""
    if not requested:
        return "keep"
    if same_address(requested, verified):
        return "keep" if same_address(requested, current) and confirmed else "confirm"
    if same_address(requested, current):
        return "keep" if confirmed or confirm_until > now else "resend"
    return "send"


def status(email: str | None, confirmed: bool) -> AlertEmailStatus | None:
    """What the settings show: None without an address."""
    if not email:
        return None
    return "confirmed" if confirmed else "pending"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Confirmation:
    """A new confirmation: the token for the link (never stored) and what is stored of it."""

    token: str
    hash: str
    expires_at: int


def new_confirmation(account_id: str, now: int) -> Confirmation:
    """A token naming its account (the link needs no session) and 32 random bytes."""
    token = f"{account_id}.{secrets.token_urlsafe(32)}"
    return Confirmation(token, token_hash(token), now + CONFIRM_SECONDS)


def account_of(token: str) -> str | None:
    """The account a token names, None when it is not shaped like one of ours."""
    account_id, dot, secret = token.partition(".")
    if not dot or not account_id or len(secret) < 40 or len(token) > 200 or not token.isascii():
        return None
    return account_id


def throttle_key(address: str) -> str:
    """The rate limit's item key for an address: an accounts-table key no account has (``__`` items are not
    accounts), holding a hash rather than the address."""
    return "__alert-mail#" + hashlib.sha256(address.strip().casefold().encode()).hexdigest()


def confirmation_message(account_id: str, link: str) -> tuple[str, str]:
    """Subject and body of the one message an unconfirmed address receives."""
    return (
        "Confirm your EmpirioLabs low-balance alerts",
        f"Someone asked for low-balance alerts of EmpirioLabs account {account_id} to be sent to this address. "
        f"To receive them, confirm within 24 hours: {link}\n"
        "If this was not you, ignore this message: nothing more will be sent to you.",
    )
