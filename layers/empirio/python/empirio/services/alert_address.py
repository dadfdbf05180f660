"""The low-balance alert's address: changing it (confirmed at once when it is the person's own verified email,
otherwise one rate-limited confirmation message) and confirming it from the message's link. The rules are in
domain.alert_email; this module does the writes and the mail."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from empirio.domain import alert_email
from empirio.domain.billing import Profile
from empirio.errors import RateLimitError

if TYPE_CHECKING:
    from empirio.mail import Mailer
    from empirio.store.profiles import ProfileStore

logger = logging.getLogger("empirio.billing")


class AlertAddress:
    """Changes and confirms the low-balance alert's address, over the profiles and the mailer."""

    def __init__(self, profiles: ProfileStore, mailer: Mailer) -> None:
        self.profiles, self.mailer = profiles, mailer

    def change(self, profile: Profile, requested: str | None, verified: str | None, root: str) -> Profile:
        """Apply a requested alert address (None: keep it). ``verified``: the signed-in person's email (Cognito
        verified it), if any; ``root``: where the confirmation link points (scheme, host and prefix)."""
        now = int(time.time())
        step = alert_email.plan(
            profile.alert_email,
            profile.alert_email_confirmed,
            profile.alert_confirm_until,
            requested,
            verified,
            now,
        )
        if step == "keep" or not requested:
            return profile
        if step == "confirm":
            return self.profiles.set_alert_email(profile.account_id, requested, None)
        if not self.profiles.claim_confirmation_mail(requested, now):
            if step == "resend":
                return profile  # the link sent earlier has lapsed; a new one once the rate limit allows
            minutes = alert_email.MAIL_INTERVAL_SECONDS // 60
            raise RateLimitError(
                f"A confirmation was sent to that address in the last {minutes} minutes; try again later.",
                param="alert_email",
                code="alert_email_rate_limited",
            )
        pending = alert_email.new_confirmation(profile.account_id, now)
        stored = self.profiles.set_alert_email(profile.account_id, requested, pending)
        link = f"{root}{alert_email.CONFIRM_PATH}?{urlencode({'token': pending.token})}"
        subject, body = alert_email.confirmation_message(profile.account_id, link)
        self.mailer.send(requested, subject, body)
        logger.info("alert address confirmation sent", extra={"account_id": profile.account_id})
        return stored

    def confirm(self, token: str, now: int | None = None) -> Profile | None:
        """Confirm the address a link's token was sent to; None when the token is not (or no longer) valid."""
        account_id = alert_email.account_of(token)
        if account_id is None:
            return None
        at = int(time.time()) if now is None else now
        return self.profiles.confirm_alert_email(account_id, alert_email.token_hash(token), at)
