"""Low-balance alert addresses are confirmed: a new address gets one confirmation message and nothing else until
its link is followed; the signed-in person's own (verified) email needs none; confirmations are rate-limited."""

from __future__ import annotations

import re
import time
from typing import Any

from empirio.domain.alert_email import CONFIRM_SECONDS
from tests.conftest import outbox_lines, sign_up
from tests.contract.test_balance_watch import Outbox, settings, spend
from tests.contract.test_balance_watch import outbox as outbox
from tests.contract.test_billing import Shop
from tests.contract.test_billing import shop as shop

VICTIM = "victim@example.com"


def to(outbox: Outbox, address: str) -> list[str]:
    return [line for line in outbox.lines if f"to={address} " in line]


def token_in(lines: list[str]) -> str:
    match = re.search(r"/console/alert-email/confirm\?token=([A-Za-z0-9_.\-]+)", lines[-1])
    assert match, lines
    return match.group(1)


def follow_link(client: Any, token: str) -> Any:
    """The recipient opens the link (a page with a button, no session) and presses Confirm."""
    shown = client.get(f"/console/alert-email/confirm?token={token}")
    assert shown.status_code == 200 and "Confirm this address" in shown.text
    return client.post(
        "/console/alert-email/confirm", data={"token": token}, headers={"origin": "http://testserver"}
    )


def confirm(shop: Shop, outbox: Outbox, address: str) -> None:
    """Follow the link of the newest confirmation sent to ``address``."""
    done = follow_link(shop.client, token_in(to(outbox, address)))
    assert done.status_code == 200 and "Address confirmed" in done.text


def test_an_unconfirmed_address_gets_the_confirmation_and_nothing_else(shop: Shop, outbox: Outbox) -> None:
    context, account = shop.gateway.context, shop.gateway.account_id
    view = settings(shop, alert_email=VICTIM, low_balance_threshold="9999999.00")
    assert view["alert_email"] == VICTIM and view["alert_email_status"] == "pending"
    for threshold in ("0", "9999999.00", "0", "9999999.00"):  # the toggling of the report
        settings(shop, low_balance_threshold=threshold)
        context.balance_watch.watch_account(account)
    sent = to(outbox, VICTIM)
    assert len(sent) == 1 and "Confirm your EmpirioLabs low-balance alerts" in sent[0]
    assert outbox.subjects("balance is low") == []
    assert settings(shop)["alert_email_status"] == "pending"


def test_after_confirming_the_alerts_arrive(shop: Shop, outbox: Outbox) -> None:
    context, account = shop.gateway.context, shop.gateway.account_id
    settings(shop, alert_email=VICTIM, low_balance_threshold="10.00")
    spend(shop)
    context.balance_watch.watch_account(account)
    assert outbox.subjects("balance is low") == []
    confirm(shop, outbox, VICTIM)
    assert settings(shop)["alert_email_status"] == "confirmed"
    context.balance_watch.watch_account(account)  # the dip that was waiting is alerted now
    alerts = outbox.subjects("balance is low")
    assert len(alerts) == 1 and f"to={VICTIM} " in alerts[0]


def test_a_confirmation_link_works_once_and_a_made_up_one_not_at_all(shop: Shop, outbox: Outbox) -> None:
    settings(shop, alert_email=VICTIM)
    token = token_in(to(outbox, VICTIM))
    account, _, secret = token.partition(".")
    forged = f"{account}.{secret[::-1]}"
    refused = shop.client.post(
        "/console/alert-email/confirm", data={"token": forged}, headers={"origin": "http://testserver"}
    )
    assert refused.status_code == 400 and "not valid or has expired" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert shop.client.get("/console/alert-email/confirm?token=nonsense").status_code == 400
    assert settings(shop)["alert_email_status"] == "pending"  # showing the page confirmed nothing
    assert follow_link(shop.client, token).status_code == 200
    again = follow_link(shop.client, token)
    assert again.status_code == 400 and settings(shop)["alert_email_status"] == "confirmed"


def test_a_confirmation_link_expires(shop: Shop, outbox: Outbox) -> None:
    settings(shop, alert_email=VICTIM)
    token = token_in(to(outbox, VICTIM))
    late = int(time.time()) + CONFIRM_SECONDS + 1
    assert shop.gateway.context.alert_address.confirm(token, now=late) is None
    assert settings(shop)["alert_email_status"] == "pending"


def test_changing_the_address_restarts_confirmation_and_mails_are_rate_limited(
    shop: Shop, outbox: Outbox
) -> None:
    settings(shop, alert_email="first@example.com", low_balance_threshold="10.00")
    confirm(shop, outbox, "first@example.com")
    settings(shop, alert_email="second@example.com")
    view = settings(shop)
    assert view["alert_email"] == "second@example.com" and view["alert_email_status"] == "pending"
    second_link = token_in(to(outbox, "second@example.com"))
    settings(shop, alert_email="third@example.com")
    assert follow_link(shop.client, second_link).status_code == 400  # replaced: the old link is dead
    assert settings(shop)["alert_email_status"] == "pending"
    # Within the interval no address gets a second confirmation, from this account or any other.
    again = shop.client.patch(
        "/v1/billing/settings", json={"alert_email": "second@example.com"}, headers=shop.headers
    )
    assert again.status_code == 429 and again.json()["error"]["code"] == "alert_email_rate_limited"
    assert settings(shop)["alert_email"] == "third@example.com"  # the refused change changed nothing
    other = shop.gateway.operator.create_key(shop.gateway.operator.create_account("other", "1.00")["id"])
    from_other = shop.client.patch(
        "/v1/billing/settings",
        json={"alert_email": "SECOND@example.com"},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert from_other.status_code == 429
    assert len(to(outbox, "second@example.com")) == 1
    settings(shop, alert_email="third@example.com", low_balance_threshold="5.00")  # unchanged: no new mail
    assert len(to(outbox, "third@example.com")) == 1


def test_the_persons_own_verified_email_needs_no_confirmation(console_app: Any) -> None:
    person = sign_up(console_app, "owner@example.com")
    with outbox_lines() as sent:
        answer = person.client.patch(
            "/v1/billing/settings", json={"low_balance_threshold": "1.00"}, headers=person.write_headers()
        )
        assert answer.status_code == 200, answer.text
        view = answer.json()
        assert view["alert_email"] == "owner@example.com" and view["alert_email_status"] == "confirmed"
        from empirio.context import get_context

        get_context().balance_watch.watch_account(person.account_id)  # a new account has $0.00: below $1.00
    assert len(sent) == 1 and "to=owner@example.com " in sent[0] and "balance is low" in sent[0]


def test_the_person_may_name_their_own_email_in_any_case(console_app: Any) -> None:
    person = sign_up(console_app, "case@example.com")
    with outbox_lines() as sent:
        answer = person.client.patch(
            "/v1/billing/settings", json={"alert_email": "Case@Example.com"}, headers=person.write_headers()
        )
    assert answer.status_code == 200 and answer.json()["alert_email_status"] == "confirmed"
    assert sent == []
