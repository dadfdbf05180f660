"""Emails to customers (low balance, auto top-up switched off): Amazon SES in AWS; locally one `outbox:` line."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

outbox = logging.getLogger("empirio.outbox")
logger = logging.getLogger("empirio.billing")


class Mailer:
    def __init__(self, mode: str, sender: str | None, region: str) -> None:
        self._log = mode == "log"
        self._sender = sender
        self._region = region

    @cached_property
    def _ses(self) -> Any:
        import boto3

        return boto3.client("sesv2", region_name=self._region)

    def send(self, to: str, subject: str, body: str) -> None:
        if self._log:
            outbox.info("outbox: to=%s subject=%r body=%r", to, subject, body)
            return
        if not self._sender:
            logger.error(
                "email not sent: set EMPIRIO_EMAIL_SENDER (an SES identity)", extra={"subject": subject}
            )
            return
        self._ses.send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": body}}}},
        )
