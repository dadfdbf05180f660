"""The low-balance alert and auto top-up, against the fake Stripe: one email per dip, one charge however many
settles cross the threshold at once, a monthly cap, and off after three refusals (with an email)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from functions.balance_watch.handler import handler as watch_handler
from tests.contract.test_billing import CENT, Shop
from tests.contract.test_billing import shop as shop

DECLINED = "4000000000000002"


class Outbox(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def subjects(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]


@pytest.fixture
def outbox(shop: Shop) -> Iterator[Outbox]:
    """Emails as `make dev` shows them (one `outbox:` line each), collected."""
    shop.gateway.context.settings.outbox = "log"
    handler = Outbox()
    logger = logging.getLogger("empirio.outbox")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def confirm_address(shop: Shop, outbox: Outbox, address: str) -> None:
    """Follow the link of the confirmation sent to ``address`` (nothing else reaches it before)."""
    from tests.contract.test_alert_email import confirm

    confirm(shop, outbox, address)


def settings(shop: Shop, **body: Any) -> dict[str, Any]:
    response = shop.client.patch("/v1/billing/settings", json=body, headers=shop.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def save_card(shop: Shop, card: str = "4242424242424242") -> None:
    setup = shop.client.post("/v1/billing/auto-topup/setup", headers=shop.headers)
    assert setup.status_code == 200, setup.text
    session_id = setup.json()["id"]
    import httpx2 as httpx

    paid = httpx.post(f"{shop.url}/pay/{session_id}", data={"card": card}, follow_redirects=False)
    assert paid.status_code == 303 and paid.headers["location"].endswith("/console/billing?card=saved")
    assert shop.deliver(shop.last_event("checkout.session.completed")).json()["outcome"] == "card saved"


def spend(shop: Shop, model: str = "test/openai") -> None:
    shop.gateway.openai().chat.completions.create(
        model=model, max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )


def off_session_charges(shop: Shop, since: int) -> int:
    return sum(
        1 for method, path in shop.fake.requests[since:] if (method, path) == ("POST", "/v1/payment_intents")
    )


def test_the_low_balance_alert_sends_one_email_per_dip(shop: Shop, outbox: Outbox) -> None:
    account = shop.gateway.account_id
    context = shop.gateway.context
    view = settings(shop, low_balance_threshold="10.00", alert_email="ops@example.com")
    assert view["low_balance_threshold"] == "10.00" and view["alert_email"] == "ops@example.com"
    confirm_address(shop, outbox, "ops@example.com")
    context.balance_watch.watch_account(account)
    assert outbox.subjects("balance is low") == []  # $10.00 is not below $10.00
    spend(shop)
    barrier = threading.Barrier(10)

    def watch() -> None:
        barrier.wait()
        context.balance_watch.watch_account(account)

    threads = [threading.Thread(target=watch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = outbox.subjects("balance is low")
    assert len(sent) == 1 and "to=ops@example.com" in sent[0]
    spend(shop)
    context.balance_watch.watch_account(account)
    assert len(outbox.subjects("balance is low")) == 1  # the same dip
    shop.gateway.operator.top_up(account, "1.00")
    context.balance_watch.watch_account(account)  # above again: the next dip alerts
    assert (
        shop.client.get("/v1/billing/settings", headers=shop.headers).json()["low_balance_alert_sent"]
        is False
    )
    spend(shop, "test/openai-per-request")  # $4: below again
    context.balance_watch.watch_account(account)
    assert len(outbox.subjects("balance is low")) == 2


def test_a_threshold_needs_an_email(shop: Shop) -> None:
    response = shop.client.patch(
        "/v1/billing/settings", json={"low_balance_threshold": "5.00"}, headers=shop.headers
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "alert_email"


def test_auto_top_up_needs_a_saved_card(shop: Shop) -> None:
    response = shop.client.patch(
        "/v1/billing/settings",
        json={"auto_topup": {"enabled": True, "threshold": "5.00", "amount": "10.00"}},
        headers=shop.headers,
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "card_required"


def test_twenty_concurrent_settles_crossing_the_threshold_start_one_charge(shop: Shop) -> None:
    save_card(shop)
    view = settings(
        shop, auto_topup={"enabled": True, "threshold": "9.9999", "amount": "10.00", "monthly_cap": "100.00"}
    )
    assert view["auto_topup"]["enabled"] and view["auto_topup"]["card_saved"]
    account = shop.gateway.account_id
    since = len(shop.fake.requests)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def settle_and_watch() -> None:
        try:
            barrier.wait()
            spend(shop)
            # What the accounts table's stream hands the watch after each settle (one record per write).
            watch_handler({"Records": [{"dynamodb": {"NewImage": {"account_id": {"S": account}}}}]}, None)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=settle_and_watch) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert off_session_charges(shop, since) == 1
    charged = shop.gateway.charged()
    assert shop.balance() == 10_000_000 - charged + 1000 * CENT
    purchases = shop.client.get("/v1/billing/purchases", headers=shop.headers).json()["data"]
    assert [(p["source"], p["status"], p["amount"]) for p in purchases] == [("auto", "paid", "10.00")]
    # Stripe's payment_intent.succeeded for it arrives too: already credited, nothing moves.
    before = shop.balance()
    assert shop.deliver(shop.last_event("payment_intent.succeeded")).status_code == 200
    assert shop.balance() == before
    shop.gateway.context.balance_watch.watch_account(account)  # above the threshold now: nothing more
    assert off_session_charges(shop, since) == 1
    assert settings(shop)["auto_topup"]["this_month"] == "10.00"
    shop.books_balanced()


def test_the_monthly_cap_stops_auto_top_up(shop: Shop) -> None:
    save_card(shop)
    settings(
        shop, auto_topup={"enabled": True, "threshold": "50.00", "amount": "10.00", "monthly_cap": "20.00"}
    )
    since = len(shop.fake.requests)
    for _ in range(4):
        shop.gateway.context.balance_watch.watch_account(shop.gateway.account_id)
    assert off_session_charges(shop, since) == 2
    assert shop.balance() == 10_000_000 + 2000 * CENT
    shop.books_balanced()


def test_a_declined_card_switches_auto_top_up_off_after_three_attempts_with_an_email(
    shop: Shop, outbox: Outbox
) -> None:
    save_card(shop, DECLINED)
    settings(
        shop,
        alert_email="billing@example.com",
        auto_topup={"enabled": True, "threshold": "10.01", "amount": "10.00", "monthly_cap": "0"},
    )
    confirm_address(shop, outbox, "billing@example.com")
    since = len(shop.fake.requests)
    for _ in range(5):
        shop.gateway.context.balance_watch.watch_account(shop.gateway.account_id)
    assert off_session_charges(shop, since) == 3
    assert shop.balance() == 10_000_000
    view = settings(shop)
    assert view["auto_topup"]["enabled"] is False and view["auto_topup"]["failures"] == 3
    assert view["auto_topup"]["this_month"] == "0.00"  # refused top-ups do not count against the cap
    emails = outbox.subjects("Auto top-up is off")
    assert len(emails) == 1 and "to=billing@example.com" in emails[0]
    purchases = shop.client.get("/v1/billing/purchases", headers=shop.headers).json()["data"]
    assert [p["status"] for p in purchases] == ["failed"] * 3
    shop.books_balanced()
