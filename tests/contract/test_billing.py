"""Buying credits through Stripe Checkout against the fake Stripe (the official SDK over real HTTP): checkout,
the webhook's exactly-once fulfilment, signatures, refunds and disputes, all checked against the books."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest

from tests.contract.conftest import Gateway

CENT = 10_000  # micro-USD


def parse_signed_usd(text: str) -> int:
    from empirio.domain.money import parse_usd

    return -parse_usd(text[1:]) if text.startswith("-") else parse_usd(text)


@dataclass
class Shop:
    gateway: Gateway
    fake: Any
    url: str

    @property
    def client(self) -> Any:
        return self.gateway.client

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.gateway.key}"}

    def checkout(self, amount: Any = "25.00") -> dict[str, Any]:
        response = self.client.post("/v1/billing/checkout", json={"amount": amount}, headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def pay(self, checkout: dict[str, Any], card: str = "4242424242424242") -> httpx.Response:
        """The customer's Pay on the stand-in page (a real form post to the fake Stripe)."""
        return httpx.post(
            f"{self.url}/pay/{checkout['checkout_session_id']}", data={"card": card}, follow_redirects=False
        )

    def deliver(self, event: dict[str, Any], **sign: Any) -> Any:
        body, signature = self.fake.signed(event, **sign)
        return self.client.post(
            "/v1/billing/webhook",
            content=body,
            headers={"content-type": "application/json", "stripe-signature": signature},
        )

    def last_event(self, kind: str) -> dict[str, Any]:
        events = self.fake.events_of(kind)
        assert events, f"no {kind} event"
        return dict(events[-1])

    def purchase(self, purchase_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/billing/purchases/{purchase_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def balance(self) -> int:
        return self.gateway.balance()

    def books_balanced(self) -> None:
        differences = [
            d
            for d in self.gateway.context.reconciliation.differences()
            if d.account_id == self.gateway.account_id
        ]
        assert not differences, differences

    def paid_purchase(self, amount: str = "25.00") -> tuple[dict[str, Any], dict[str, Any]]:
        """A purchase paid and credited through the webhook; (purchase, its charge at the fake)."""
        checkout = self.checkout(amount)
        assert self.pay(checkout).status_code == 303
        assert self.deliver(self.last_event("checkout.session.completed")).status_code == 200
        purchase = self.purchase(checkout["id"])
        assert purchase["status"] == "paid"
        session = self.fake.objects[checkout["checkout_session_id"]]
        intent = self.fake.objects[session["payment_intent"]]
        return purchase, self.fake.objects[intent["latest_charge"]]


@pytest.fixture
def shop(fake_stripe: Any, gateway: Gateway, stripe_server: Any) -> Shop:
    gateway.context.settings.stripe_api_base = stripe_server.url
    return Shop(gateway, fake_stripe, stripe_server.url)


def test_checkout_opens_a_stripe_session_for_a_pending_purchase(shop: Shop) -> None:
    checkout = shop.checkout("25")
    assert set(checkout) >= {"id", "url"} and checkout["url"].startswith(shop.url + "/pay/cs_test_")
    assert checkout["amount"] == "25.00" and checkout["status"] == "pending"
    session = shop.fake.objects[checkout["checkout_session_id"]]
    account = shop.gateway.account_id
    assert session["mode"] == "payment" and session["amount_total"] == 2500 and session["currency"] == "usd"
    assert session["client_reference_id"] == account
    assert session["metadata"] == {"account_id": account, "purchase_id": checkout["id"], "kind": "checkout"}
    assert session["_payment_intent_data"]["metadata"]["purchase_id"] == checkout["id"]
    assert session["success_url"].startswith("http://testserver/console/billing?purchase=")
    listed = shop.client.get("/v1/billing/purchases", headers=shop.headers).json()["data"]
    assert [p["id"] for p in listed] == [checkout["id"]] and listed[0]["status"] == "pending"


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("4.99", "between"),
        ("10000.01", "between"),
        ("25.001", "2 decimals"),
        ("abc", "2 decimals"),
        (-5, "2 decimals"),
    ],
)
def test_checkout_refuses_amounts_outside_the_rules(shop: Shop, amount: Any, reason: str) -> None:
    response = shop.client.post("/v1/billing/checkout", json={"amount": amount}, headers=shop.headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "amount" and reason in error["message"]
    assert shop.client.get("/v1/billing/purchases", headers=shop.headers).json()["data"] == []


def test_an_inference_key_cannot_buy_or_read_billing(shop: Shop) -> None:
    key = shop.gateway.operator.create_key(shop.gateway.account_id, ("inference",))
    for method, path in (("POST", "/v1/billing/checkout"), ("GET", "/v1/billing/purchases")):
        response = shop.client.request(
            method, path, json={"amount": "10"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert response.status_code == 403, response.text


def test_pay_and_the_webhook_credit_the_amount_once_and_never_the_fee(shop: Shop) -> None:
    shop.gateway.context.settings.billing_fee_bps = 550
    shop.gateway.context.settings.billing_fee_fixed_cents = 30
    shop.gateway.context.__dict__.pop("terms", None)
    before = shop.balance()
    checkout = shop.checkout("25.00")
    assert checkout["fee"] == "1.68" and checkout["total"] == "26.68"  # ceil(2500 * 5.5 %) + 30 cents
    redirect = shop.pay(checkout)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"http://testserver/console/billing?purchase={checkout['id']}"
    assert shop.balance() == before  # nothing until the webhook or the success page
    event = shop.last_event("checkout.session.completed")
    assert event["data"]["object"]["amount_total"] == 2668
    response = shop.deliver(event)
    assert response.status_code == 200 and response.json()["outcome"] == "purchase paid"
    assert shop.balance() == before + 2500 * CENT
    purchase = shop.purchase(checkout["id"])
    assert purchase["status"] == "paid" and purchase["fee"] == "1.68"
    assert purchase["receipt_url"].startswith(shop.url + "/receipts/ch_test_")
    fulfil = shop.client.post(f"/v1/billing/purchases/{checkout['id']}/fulfil", headers=shop.headers)
    assert fulfil.json()["status"] == "paid" and shop.balance() == before + 2500 * CENT
    shop.books_balanced()


def test_the_completion_webhook_credits_once_delivered_twice_concurrently_and_before_the_success_page(
    shop: Shop,
) -> None:
    before = shop.balance()
    checkout = shop.checkout("40.00")
    shop.pay(checkout)
    event = shop.last_event("checkout.session.completed")
    assert shop.deliver(event).status_code == 200
    assert shop.deliver(event).status_code == 200
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def deliver() -> None:
        barrier.wait()
        statuses.append(shop.deliver(event).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    shop.client.post(f"/v1/billing/purchases/{checkout['id']}/fulfil", headers=shop.headers)
    assert shop.balance() == before + 4000 * CENT
    entries = shop.gateway.context.ledger.entries(shop.gateway.account_id)
    assert [e["entry_id"] for e in entries if e["kind"] == "topup" and e.get("purchase_id")] == [
        f"topup#purchase#{checkout['id']}"
    ]
    shop.books_balanced()


def test_concurrent_webhooks_and_success_pages_credit_once(shop: Shop) -> None:
    before = shop.balance()
    checkout = shop.checkout("15.00")
    shop.pay(checkout)
    event = shop.last_event("checkout.session.completed")
    barrier = threading.Barrier(10)

    def one(i: int) -> None:
        barrier.wait()
        if i % 2:
            shop.deliver(event)
        else:
            shop.client.post(f"/v1/billing/purchases/{checkout['id']}/fulfil", headers=shop.headers)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shop.balance() == before + 1500 * CENT
    shop.books_balanced()


def test_the_success_page_alone_credits_a_paid_purchase(shop: Shop) -> None:
    before = shop.balance()
    checkout = shop.checkout("10.00")
    unpaid = shop.client.post(f"/v1/billing/purchases/{checkout['id']}/fulfil", headers=shop.headers)
    assert unpaid.json()["status"] == "pending" and shop.balance() == before
    shop.pay(checkout)
    paid = shop.client.post(f"/v1/billing/purchases/{checkout['id']}/fulfil", headers=shop.headers)
    assert paid.json()["status"] == "paid" and shop.balance() == before + 1000 * CENT


@pytest.mark.parametrize("tamper", ["body", "secret", "stale", "missing"])
def test_a_bad_signature_gets_400_and_credits_nothing(shop: Shop, tamper: str) -> None:
    before = shop.balance()
    checkout = shop.checkout("25.00")
    shop.pay(checkout)
    event = shop.last_event("checkout.session.completed")
    body, signature = shop.fake.signed(event)
    if tamper == "body":
        body = body.replace(b'"amount_total": 2500', b'"amount_total": 250000')
    elif tamper == "secret":
        body, signature = shop.fake.signed(event, secret="whsec_not_ours")
    elif tamper == "stale":
        body, signature = shop.fake.signed(event, timestamp=int(time.time()) - 301)
    headers = {"content-type": "application/json"}
    if tamper != "missing":
        headers["stripe-signature"] = signature
    response = shop.client.post("/v1/billing/webhook", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert shop.balance() == before and shop.purchase(checkout["id"])["status"] == "pending"


def test_an_event_for_another_account_or_amount_is_refused_and_credits_nothing(shop: Shop) -> None:
    other = shop.gateway.operator.create_account("other", "0.00")
    checkout = shop.checkout("25.00")
    shop.pay(checkout)
    event = shop.last_event("checkout.session.completed")
    before = shop.balance()
    moved = json.loads(json.dumps(event))
    moved["data"]["object"]["client_reference_id"] = other["id"]
    moved["data"]["object"]["metadata"]["account_id"] = other["id"]
    cheaper = json.loads(json.dumps(event))
    cheaper["data"]["object"]["amount_total"] = 500
    for forged in (moved, cheaper):
        response = shop.deliver(forged)  # correctly signed: only the purchase check can refuse it
        assert response.status_code == 400 and response.json()["error"]["code"] == "purchase_mismatch"
    assert shop.balance() == before
    assert shop.gateway.context.accounts.require(other["id"]).available == 0
    assert shop.purchase(checkout["id"])["status"] == "pending"


def test_an_asynchronous_payment_credits_when_it_succeeds(shop: Shop) -> None:
    before = shop.balance()
    checkout = shop.checkout("20.00")
    shop.pay(checkout)
    completed = shop.last_event("checkout.session.completed")
    processing = json.loads(json.dumps(completed))
    processing["data"]["object"]["payment_status"] = "unpaid"
    assert shop.deliver(processing).json()["outcome"] == "purchase pending"
    assert shop.balance() == before
    succeeded = json.loads(json.dumps(completed))
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    assert shop.deliver(succeeded).json()["outcome"] == "purchase paid"
    assert shop.balance() == before + 2000 * CENT


def test_an_expired_checkout_closes_the_purchase(shop: Shop) -> None:
    checkout = shop.checkout("20.00")
    shop.fake.objects[checkout["checkout_session_id"]]["status"] = "expired"
    shop.fake.emit(
        "checkout.session.expired", shop.fake.public(shop.fake.objects[checkout["checkout_session_id"]])
    )
    shop.deliver(shop.last_event("checkout.session.expired"))
    assert shop.purchase(checkout["id"])["status"] == "expired"


def refund(shop: Shop, charge: dict[str, Any], amount: int | None = None) -> dict[str, Any]:
    import stripe

    client = stripe.StripeClient(shop.fake.secret_key, base_addresses={"api": shop.url})
    params: Any = {"charge": charge["id"], **({"amount": amount} if amount is not None else {})}
    client.v1.refunds.create(params=params)
    return shop.last_event("charge.refunded")


def test_a_full_refund_takes_back_exactly_the_credit(shop: Shop) -> None:
    purchase, charge = shop.paid_purchase("25.00")
    before = shop.balance()
    event = refund(shop, charge)
    assert shop.deliver(event).status_code == 200
    assert shop.deliver(event).status_code == 200  # again: nothing more
    assert shop.balance() == before - 2500 * CENT
    after = shop.purchase(purchase["id"])
    assert after["status"] == "refunded" and after["refunded"] == "25.00"
    shop.books_balanced()


def test_a_partial_refund_then_the_rest_even_out_of_order(shop: Shop) -> None:
    purchase, charge = shop.paid_purchase("25.00")
    before = shop.balance()
    first = refund(shop, charge, 1000)
    assert shop.deliver(first).status_code == 200
    assert shop.balance() == before - 1000 * CENT
    rest = refund(shop, charge)
    assert rest["data"]["object"]["amount_refunded"] == 2500
    assert shop.deliver(rest).status_code == 200
    assert shop.deliver(first).status_code == 200  # a late copy of the first: cumulative, so nothing moves
    assert shop.balance() == before - 2500 * CENT
    assert shop.purchase(purchase["id"])["refunded"] == "25.00"
    shop.books_balanced()


def test_concurrent_copies_of_refund_events_take_back_once(shop: Shop) -> None:
    _, charge = shop.paid_purchase("30.00")
    before = shop.balance()
    first, rest = refund(shop, charge, 700), refund(shop, charge)
    barrier = threading.Barrier(10)

    def one(i: int) -> None:
        barrier.wait()
        shop.deliver(first if i % 2 else rest)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert shop.balance() == before - 3000 * CENT
    shop.books_balanced()


def test_a_refund_with_a_fee_takes_back_the_credit_not_the_fee(shop: Shop) -> None:
    shop.gateway.context.settings.billing_fee_fixed_cents = 100
    shop.gateway.context.__dict__.pop("terms", None)
    _, charge = shop.paid_purchase("10.00")
    assert charge["amount"] == 1100
    before = shop.balance()
    shop.deliver(refund(shop, charge))  # the whole $11.00 back to the card
    assert shop.balance() == before - 1000 * CENT
    shop.books_balanced()


def test_a_dispute_takes_back_the_credit_once(shop: Shop) -> None:
    purchase, charge = shop.paid_purchase("5.00")
    before = shop.balance()
    dispute = shop.fake.dispute(charge["id"])
    event = shop.last_event("charge.dispute.created")
    assert event["data"]["object"]["id"] == dispute["id"]
    assert shop.deliver(event).status_code == 200
    assert shop.deliver(event).status_code == 200
    assert shop.balance() == before - 500 * CENT
    assert shop.purchase(purchase["id"])["status"] == "disputed"
    shop.books_balanced()


def test_a_dispute_of_spent_credit_leaves_a_negative_balance_that_refuses_requests(shop: Shop) -> None:
    gw = shop.gateway
    _, charge = shop.paid_purchase("5.00")  # $15 in all
    client = gw.openai()
    for _ in range(3):  # $4 each: the customer spends $12 of it
        client.chat.completions.create(
            model="test/openai-per-request", messages=[{"role": "user", "content": "x"}]
        )
    assert gw.balance() == 3_000_000
    shop.fake.dispute(charge["id"])
    assert shop.deliver(shop.last_event("charge.dispute.created")).status_code == 200
    assert gw.balance() == -2_000_000
    for model in ("test/openai-per-request", "test/openai"):
        response = gw.client.post(
            "/v1/chat/completions",
            headers={"Authorization": f"Bearer {gw.key}"},
            json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        )
        assert response.status_code == 402, response.text
        assert "negative" in response.json()["error"]["message"]
    shop.books_balanced()
    assert shop.client.get("/v1/credits", headers=shop.headers).json()["balance"] == "-2.00"


def test_the_webhook_verifies_a_base64_body_from_api_gateway(shop: Shop, lambda_event_loop: None) -> None:
    import base64

    from functions.billing.handler import handler
    from tests.lambda_events import LambdaContext, proxy_event

    before = shop.balance()
    checkout = shop.checkout("12.00")
    shop.pay(checkout)
    body, signature = shop.fake.signed(shop.last_event("checkout.session.completed"))
    event = proxy_event(
        "POST",
        "/v1/billing/webhook",
        "/v1/billing/webhook",
        {"content-type": "application/json", "stripe-signature": signature},
    )
    event.update(body=base64.b64encode(body).decode(), isBase64Encoded=True)
    answer = handler(event, LambdaContext())
    assert answer["statusCode"] == 200, answer
    assert shop.balance() == before + 1200 * CENT


def test_the_ledger_lists_top_ups_charges_and_refunds_and_exports_csv(shop: Shop) -> None:
    _, charge = shop.paid_purchase("25.00")
    shop.gateway.openai().chat.completions.create(
        model="test/openai-premium", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    shop.deliver(refund(shop, charge, 500))
    ledger = shop.client.get("/v1/billing/ledger", headers=shop.headers).json()["data"]
    kinds = [row["kind"] for row in ledger]
    assert {"top-up", "charges", "refund"} <= set(kinds)
    assert [r["amount"] for r in ledger if r["kind"] == "refund"] == ["-5.00"]
    assert any(r["amount"] == "25.00" and r["purchase_id"] for r in ledger if r["kind"] == "top-up")
    charges = sum(-parse_signed_usd(r["amount"]) for r in ledger if r["kind"] == "charges")
    assert charges == shop.gateway.charged()
    csv = shop.client.get("/v1/billing/ledger/export", headers=shop.headers)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0] == "date,kind,amount,description,purchase_id" and len(lines) == len(ledger) + 1


def test_a_refund_before_the_payment_is_recorded_is_delivered_again_later(shop: Shop) -> None:
    checkout = shop.checkout("25.00")
    shop.pay(checkout)
    session = shop.fake.objects[checkout["checkout_session_id"]]
    charge = shop.fake.objects[shop.fake.objects[session["payment_intent"]]["latest_charge"]]
    before = shop.balance()
    early = refund(shop, charge)
    response = shop.deliver(early)  # out of order: Stripe will retry it
    assert response.status_code == 409 and response.json()["error"]["code"] == "purchase_not_paid_yet"
    assert shop.balance() == before
    shop.deliver(shop.last_event("checkout.session.completed"))
    assert shop.deliver(early).status_code == 200
    assert shop.balance() == before  # credited, then the whole of it refunded
    shop.books_balanced()


def test_events_about_other_payments_are_acknowledged_and_ignored(shop: Shop) -> None:
    other_charge = {
        "id": "ch_test_other",
        "object": "charge",
        "amount": 1000,
        "amount_refunded": 1000,
        "metadata": {},
    }
    event = {
        "id": "evt_test_other",
        "object": "event",
        "type": "charge.refunded",
        "data": {"object": other_charge},
    }
    before = shop.balance()
    response = shop.deliver(event)
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    unknown = {**event, "type": "customer.created", "data": {"object": {"id": "cus_x", "object": "customer"}}}
    assert shop.deliver(unknown).json()["outcome"] == "ignored"
    assert shop.balance() == before
