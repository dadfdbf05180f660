"""Request bounds, enforced before anything is parsed: the body (API Gateway's own payload limit), the query
string and the headers. A request over a bound is answered in the route's error shape and never reaches a
handler; a body sent without a length is counted as it arrives."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from empirio.errors import PayloadTooLargeError
from empirio.web.errors import error_body

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway (REST) refuses larger payloads anyway
MAX_QUERY_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024


def _too_large_message() -> str:
    return f"The request body is larger than the limit of {MAX_BODY_BYTES:,} bytes."


class RequestBounds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message, type_, code = refusal
            await _answer(scope, send, status, message, type_, code)
            return
        if _declared_length(scope) is not None:
            await self.app(scope, receive, send)
            return
        received = 0
        exceeded = answered = False

        async def bounded_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    exceeded = True
                    raise PayloadTooLargeError(_too_large_message(), param="body")
            return message

        async def send_413_once_exceeded(message: Message) -> None:
            nonlocal answered
            if not exceeded:
                await send(message)
            elif not answered:  # whatever the app made of the interrupted body, the answer is 413
                answered = True
                await _answer(
                    scope, send, 413, _too_large_message(), "invalid_request_error", "payload_too_large"
                )

        await self.app(scope, bounded_receive, send_413_once_exceeded)

    @staticmethod
    def _refusal(scope: Scope) -> tuple[int, str, str, str] | None:
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return (
                414,
                f"The query string is longer than {MAX_QUERY_BYTES:,} bytes.",
                "invalid_request_error",
                "uri_too_long",
            )
        if sum(len(k) + len(v) for k, v in scope.get("headers", [])) > MAX_HEADER_BYTES:
            message = f"The request headers are larger than {MAX_HEADER_BYTES:,} bytes."
            return 431, message, "invalid_request_error", "headers_too_large"
        length = _declared_length(scope)
        if length is not None and length > MAX_BODY_BYTES:
            return 413, _too_large_message(), "invalid_request_error", "payload_too_large"
        return None


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(scope: Scope, send: Send, status: int, message: str, type_: str, code: str) -> None:
    body = json.dumps(error_body(scope.get("path", ""), status, message, type_, None, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
