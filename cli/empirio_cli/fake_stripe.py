"""A fake Stripe for `make dev` and the tests (stripe-mock needs Docker or Go): the API subset the gateway uses,
form-encoded as the official SDK sends it, a hosted-checkout stand-in page with a `Pay` button, and signed
webhooks delivered to the gateway (retried on failure, as Stripe does).

Objects: customers, checkout sessions (payment and setup mode), payment intents (Checkout's and off-session
confirmations), setup intents, charges (with receipt URLs), refunds, disputes and events. Cards: the stand-in
page offers 4242 4242 4242 4242 (succeeds) and 4000 0000 0000 0002 (declined, off-session too). Not a
validator of Stripe's API: unknown parameters are ignored, as they would be rejected by Stripe only in tests
that do not exist here.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

DECLINED_CARD = "4000000000000002"
CARDS = {"4242424242424242": "pm_card_visa", DECLINED_CARD: "pm_card_chargeDeclined"}


def parse_form(body: bytes) -> dict[str, Any]:
    """Stripe's bracket encoding (``a[b][0][c]=v``) as nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(
                        {} if nxt is not None and not nxt.isdigit() else [] if nxt is not None else None
                    )
                if last:
                    node[index] = value
                else:
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt is not None and nxt.isdigit() else {})
    return root


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header: ``t=<unix time>,v1=<HMAC-SHA256 of "t.body">``."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _error(status: int, message: str, type_: str = "invalid_request_error", **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message, **extra}}, status_code=status)


@dataclass
class FakeStripe:
    secret_key: str = field(default_factory=lambda: "sk_test_fake_" + secrets.token_hex(8))
    webhook_secret: str = field(default_factory=lambda: "whsec_fake" + secrets.token_hex(16))
    webhook_url: str | None = None
    deliver: bool = True  # send events to webhook_url (tests turn it off to deliver them themselves)
    public_url: str = ""  # where the stand-in page is reached (set when the server starts)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event id, status)
    idempotent: dict[str, tuple[int, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of API calls

    # -- objects and events ----------------------------------------------------------------------------------
    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def emit(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": "2025-10-29.clover",
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }
        self.events.append(event)
        if self.deliver and self.webhook_url:
            threading.Thread(target=self._deliver, args=(event,), daemon=True).start()
        return event

    def signed(
        self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        body = json.dumps(event).encode()
        return body, sign(body, secret or self.webhook_secret, timestamp)

    def _deliver(self, event: dict[str, Any], attempts: int = 5) -> None:
        for attempt in range(attempts):
            body, signature = self.signed(event)
            request = urllib.request.Request(  # noqa: S310 (the gateway's own webhook URL)
                self.webhook_url or "",
                data=body,
                headers={"content-type": "application/json", "stripe-signature": signature},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (our own URL)
                    status = int(response.status)
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with self.lock:
                self.deliveries.append((event["id"], status))
            if 200 <= status < 300:
                return
            time.sleep(0.2 * 2**attempt)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    # -- the flows -------------------------------------------------------------------------------------------
    def create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        mode = params.get("mode", "payment")
        sid = _id("cs")
        lines = params.get("line_items") or []
        total = sum(int(li["price_data"]["unit_amount"]) * int(li.get("quantity", 1)) for li in lines)
        customer = params.get("customer")
        return self.put(
            {
                "id": sid,
                "object": "checkout.session",
                "mode": mode,
                "status": "open",
                "payment_status": "no_payment_required" if mode == "setup" else "unpaid",
                "amount_total": total if mode == "payment" else None,
                "currency": params.get("currency")
                or (lines[0]["price_data"]["currency"] if lines else "usd"),
                "client_reference_id": params.get("client_reference_id"),
                "metadata": params.get("metadata") or {},
                "customer": customer,
                "customer_creation": params.get("customer_creation"),
                "payment_intent": None,
                "setup_intent": None,
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"{self.public_url}/pay/{sid}",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 86400,
                "livemode": False,
                "_line_items": lines,
                "_payment_intent_data": params.get("payment_intent_data") or {},
                "_setup_intent_data": params.get("setup_intent_data") or {},
            }
        )

    def _charge(self, intent: dict[str, Any]) -> dict[str, Any]:
        cid = _id("ch")
        return self.put(
            {
                "id": cid,
                "object": "charge",
                "amount": intent["amount"],
                "amount_captured": intent["amount"],
                "amount_refunded": 0,
                "refunded": False,
                "currency": intent["currency"],
                "customer": intent.get("customer"),
                "payment_intent": intent["id"],
                "payment_method": intent.get("payment_method"),
                "paid": True,
                "status": "succeeded",
                "disputed": False,
                "metadata": {},  # as on Stripe: a charge does not carry its payment intent's metadata
                "receipt_url": f"{self.public_url}/receipts/{cid}",
                "created": int(time.time()),
            }
        )

    def pay(self, sid: str, card: str) -> dict[str, Any]:
        """The stand-in page's Pay: the session completes (or, for a declined card, stays open)."""
        session = self.objects[sid]
        if session["status"] != "open":
            return session
        method = CARDS.get(card, "pm_card_visa")
        customer = session.get("customer")
        if not customer:
            customer = self.put({"id": _id("cus"), "object": "customer", "metadata": {}, "email": None})["id"]
        pm = self.put(
            {
                "id": _id("pm"),
                "object": "payment_method",
                "type": "card",
                "customer": customer,
                "card": {"last4": card[-4:], "brand": "visa"},
                "_kind": method,
            }
        )
        if session["mode"] == "setup":
            setup = self.put(
                {
                    "id": _id("seti"),
                    "object": "setup_intent",
                    "status": "succeeded",
                    "customer": customer,
                    "payment_method": pm["id"],
                    "usage": "off_session",
                    "metadata": session["_setup_intent_data"].get("metadata") or {},
                }
            )
            session.update(status="complete", setup_intent=setup["id"], customer=customer)
            self.emit("checkout.session.completed", self.public(session))
            return session
        if method == "pm_card_chargeDeclined":
            return session  # Checkout shows the decline and lets the customer try another card
        intent = self.put(
            {
                "id": _id("pi"),
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "status": "succeeded",
                "customer": customer,
                "payment_method": pm["id"],
                "metadata": session["_payment_intent_data"].get("metadata") or {},
                "latest_charge": None,
                "created": int(time.time()),
            }
        )
        intent["latest_charge"] = self._charge(intent)["id"]
        session.update(
            status="complete", payment_status="paid", payment_intent=intent["id"], customer=customer
        )
        self.emit("checkout.session.completed", self.public(session))
        return session

    def confirm_off_session(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pm = self.objects.get(str(params.get("payment_method")))
        if pm is None:
            return 400, {"error": {"type": "invalid_request_error", "message": "No such PaymentMethod."}}
        intent = self.put(
            {
                "id": _id("pi"),
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "currency": params.get("currency", "usd"),
                "customer": params.get("customer"),
                "payment_method": pm["id"],
                "metadata": params.get("metadata") or {},
                "status": "requires_payment_method",
                "latest_charge": None,
                "created": int(time.time()),
            }
        )
        if pm.get("_kind") == "pm_card_chargeDeclined":
            self.emit("payment_intent.payment_failed", intent)
            return 402, {
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                    "payment_intent": intent,
                }
            }
        intent["status"] = "succeeded"
        intent["latest_charge"] = self._charge(intent)["id"]
        self.emit("payment_intent.succeeded", intent)
        return 200, self.expand(intent, params.get("expand") or [])

    def refund(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        charge = self.objects.get(str(params.get("charge") or ""))
        if charge is None and params.get("payment_intent"):
            intent = self.objects.get(str(params["payment_intent"]))
            charge = self.objects.get(str(intent["latest_charge"])) if intent else None
        if charge is None:
            return 404, {"error": {"type": "invalid_request_error", "message": "No such charge."}}
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_already_refunded",
                    "message": "Refund exceeds the charge.",
                }
            }
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self.put(
            {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": charge["payment_intent"],
                "status": "succeeded",
                "currency": charge["currency"],
            }
        )
        self.emit("charge.refunded", charge)
        return 200, refund

    def dispute(self, charge_id: str, amount: int | None = None) -> dict[str, Any]:
        charge = self.objects[charge_id]
        charge["disputed"] = True
        dispute = self.put(
            {
                "id": _id("dp"),
                "object": "dispute",
                "amount": charge["amount"] if amount is None else amount,
                "charge": charge_id,
                "payment_intent": charge["payment_intent"],
                "currency": charge["currency"],
                "reason": "fraudulent",
                "status": "needs_response",
                "created": int(time.time()),
            }
        )
        self.emit("charge.dispute.created", dispute)
        return dispute

    @staticmethod
    def public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def expand(self, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        out = self.public(obj)
        for path in paths:
            name = path.split(".")[0]
            ref = out.get(name)
            if isinstance(ref, str) and ref in self.objects:
                out[name] = self.public(self.objects[ref])
        return out

    # -- the HTTP app ----------------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
        fake = self

        def authorized(request: Request) -> bool:
            return request.headers.get("authorization", "") == f"Bearer {fake.secret_key}"

        def api(handler: Callable[[dict[str, Any], Request], tuple[int, Any]]) -> Callable[..., Any]:
            async def endpoint(request: Request) -> Response:
                if not authorized(request):
                    return _error(401, "Invalid API Key provided.")
                params = (
                    parse_form(await request.body())
                    if request.method == "POST"
                    else parse_form(request.url.query.encode())
                )
                key = request.headers.get("idempotency-key")
                with fake.lock:
                    fake.requests.append((request.method, request.url.path))
                    if key and request.method == "POST" and key in fake.idempotent:
                        status, body = fake.idempotent[key]
                    else:
                        status, body = handler(params, request)
                        if key and request.method == "POST" and status < 500:
                            fake.idempotent[key] = (status, body)
                return JSONResponse(body, status_code=status, headers={"request-id": _id("req")})

            return endpoint

        def get(kind: str) -> Callable[[dict[str, Any], Request], tuple[int, Any]]:
            def handler(params: dict[str, Any], request: Request) -> tuple[int, Any]:
                obj = fake.objects.get(request.path_params["id"])
                if obj is None or obj.get("object") != kind:
                    return 404, {
                        "error": {
                            "type": "invalid_request_error",
                            "code": "resource_missing",
                            "message": f"No such {kind}.",
                        }
                    }
                return 200, fake.expand(obj, params.get("expand") or [])

            return handler

        def create_customer(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            return 200, fake.put(
                {
                    "id": _id("cus"),
                    "object": "customer",
                    "email": params.get("email"),
                    "metadata": params.get("metadata") or {},
                }
            )

        def create_session(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            return 200, fake.public(fake.create_session(params))

        def expire_session(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            session = fake.objects[request.path_params["id"]]
            if session["status"] == "open":
                session["status"] = "expired"
                fake.emit("checkout.session.expired", fake.public(session))
            return 200, fake.public(session)

        def create_intent(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            return fake.confirm_off_session(params)

        def create_refund(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            return fake.refund(params)

        def list_events(params: dict[str, Any], request: Request) -> tuple[int, Any]:
            data = [e for e in reversed(fake.events) if not params.get("type") or e["type"] == params["type"]]
            return 200, {"object": "list", "data": data, "has_more": False, "url": "/v1/events"}

        for path, method, handler in (
            ("/v1/customers", "POST", create_customer),
            ("/v1/customers/{id}", "GET", get("customer")),
            ("/v1/checkout/sessions", "POST", create_session),
            ("/v1/checkout/sessions/{id}", "GET", get("checkout.session")),
            ("/v1/checkout/sessions/{id}/expire", "POST", expire_session),
            ("/v1/payment_intents", "POST", create_intent),
            ("/v1/payment_intents/{id}", "GET", get("payment_intent")),
            ("/v1/setup_intents/{id}", "GET", get("setup_intent")),
            ("/v1/charges/{id}", "GET", get("charge")),
            ("/v1/refunds", "POST", create_refund),
            ("/v1/events", "GET", list_events),
            ("/v1/events/{id}", "GET", get("event")),
        ):
            app.add_api_route(path, api(handler), methods=[method])

        @app.get("/pay/{sid}", response_class=HTMLResponse)
        def page(sid: str) -> Response:
            session = fake.objects.get(sid)
            if session is None or session.get("object") != "checkout.session":
                return HTMLResponse(
                    "<!doctype html><title>Not found</title><p>No such checkout session.", status_code=404
                )
            return HTMLResponse(stand_in_page(session))

        @app.post("/pay/{sid}")
        async def pay(sid: str, request: Request) -> Response:
            form = parse_form(await request.body())
            with fake.lock:
                session = fake.objects.get(sid)
                if session is None:
                    return HTMLResponse("No such checkout session.", status_code=404)
                session = fake.pay(sid, str(form.get("card", "4242424242424242")).replace(" ", ""))
            if session["status"] != "complete":
                return HTMLResponse(stand_in_page(session, error="Your card was declined."), status_code=402)
            target = str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", sid)
            return RedirectResponse(target, status_code=303)

        @app.get("/receipts/{cid}", response_class=HTMLResponse)
        def receipt(cid: str) -> Response:
            charge = fake.objects.get(cid)
            if charge is None:
                return HTMLResponse("Not found", status_code=404)
            return HTMLResponse(
                f"<!doctype html><title>Receipt</title><h1>Receipt</h1><p>Paid ${charge['amount'] / 100:.2f}</p>"
            )

        return app


def stand_in_page(session: dict[str, Any], error: str | None = None) -> str:
    """Stripe Checkout's stand-in: what is bought, a card choice and a Pay button (a real form post)."""
    esc = html.escape
    lines = "".join(
        f"<li>{esc(li['price_data']['product_data']['name'])}: ${int(li['price_data']['unit_amount']) / 100:.2f}</li>"
        for li in session.get("_line_items") or []
    )
    total = session.get("amount_total")
    total_text = (
        f"<p>Total: <strong>${total / 100:.2f}</strong></p>"
        if total is not None
        else "<p>Save a card for later payments.</p>"
    )
    alert = f'<p role="alert">{esc(error)}</p>' if error else ""
    cancel = esc(str(session.get("cancel_url") or ""))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        "<title>Checkout (test mode)</title></head><body>"
        "<main><h1>Checkout (test mode)</h1>"
        f"<ul>{lines}</ul>{total_text}{alert}"
        f"<form method='post' action='/pay/{esc(session['id'])}'>"
        "<label for='card'>Card number</label> <select id='card' name='card'>"
        "<option value='4242424242424242'>4242 4242 4242 4242 (succeeds)</option>"
        f"<option value='{DECLINED_CARD}'>4000 0000 0000 0002 (declined)</option></select> "
        "<button type='submit'>Pay</button></form>"
        f"<p><a href='{cancel}'>Cancel</a></p></main></body></html>"
    )


class RunningFakeStripe:
    """The fake served by uvicorn on a thread (127.0.0.1, a free port)."""

    def __init__(self, fake: FakeStripe, port: int = 0) -> None:
        import socket

        import uvicorn

        if not port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
        self.fake = fake
        self.url = f"http://127.0.0.1:{port}"
        fake.public_url = self.url
        config = uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="fake-stripe", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
