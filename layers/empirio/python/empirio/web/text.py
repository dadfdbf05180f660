"""Text that reaches a route is Unicode that UTF-8 can carry, or the request is refused with 400 in the route's
error shape before any route reads it. JSON is where such text gets in: an escape such as "\\ud800" decodes to a
lone surrogate, and Python's JSON decoder lets the bytes ED A0 80 through as one too (it decodes with
``surrogatepass``). A multipart form's text is decoded with the charset its Content-Type names, so only charsets
that cannot yield a surrogate are taken; Starlette decodes query strings (percent-escapes as UTF-8, with
replacement) and headers (as Latin-1) in ways that cannot yield one. Non-characters (U+FFFE, U+FFFF, U+FDD0) are
valid scalar values and pass."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from empirio.errors import ApiError, InvalidRequestError
from empirio.web.errors import error_body

CODE = "invalid_unicode"
_MAX_KEY_IN_PATH = 64
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_FORM_CODECS = {"utf-8", "ascii", "iso8859-1"}  # codecs.lookup names


@dataclass(frozen=True)
class InvalidText:
    """Where a decoded value first holds text UTF-8 cannot carry: the field's path, the character, and whether
    it is one of the object's keys rather than a value."""

    param: str
    char: str
    in_key: bool = False

    def error(self) -> InvalidRequestError:
        what = f"A key of '{self.param}'" if self.in_key else f"The value of '{self.param}'"
        return InvalidRequestError(
            f"{what} is not valid Unicode text: it holds a lone surrogate (U+{ord(self.char):04X}). "
            "Send text that UTF-8 can encode.",
            param=self.param,
            code=CODE,
        )


def _bad_char(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return text[error.start]
    return None


def _key_path(path: str, key: str) -> str:
    shown = key if len(key) <= _MAX_KEY_IN_PATH else key[: _MAX_KEY_IN_PATH - 3] + "..."
    return f"{path}.{shown}" if path else shown


def first_invalid_text(value: object, root: str = "") -> InvalidText | None:
    """The first text in ``value`` (decoded JSON: objects, arrays, strings, numbers) that UTF-8 cannot encode,
    in document order, named like ``messages[0].content``; None when all of it is valid."""
    stack: list[tuple[str, object]] = [(root, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            char = _bad_char(item)
            if char is not None:
                return InvalidText(path or "body", char)
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(item))))
        elif isinstance(item, dict):
            children: list[tuple[str, object]] = []
            for key, child in item.items():
                char = _bad_char(key)
                if char is not None:
                    return InvalidText(path or "body", char, in_key=True)
                children.append((_key_path(path, key), child))
            stack.extend(reversed(children))
    return None


def may_hold_invalid_text(raw: bytes) -> bool:
    """A cheap look at a body: False when, decoded as JSON, it surely holds only valid text (valid UTF-8 without
    any surrogate escape); True when it needs decoding to tell. Decoding is cheaper than pairing the escapes of
    a body full of them (an emoji is two) in Python, and an escaped backslash can make "\\\\ud800" plain text."""
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return True
    return b"\\" in raw and _SURROGATE_ESCAPE.search(raw) is not None  # one byte first: found by memchr


def body_refusal(raw: bytes) -> InvalidRequestError | None:
    """The 400 for a body that decodes as JSON to text UTF-8 cannot carry; None for any other body (one that is
    not JSON is left to its route, which knows what it expects)."""
    if not may_hold_invalid_text(raw):
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    invalid = first_invalid_text(value)
    return invalid.error() if invalid else None


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return b""


def form_charset_refusal(content_type: bytes) -> InvalidRequestError | None:
    """A multipart form's text is decoded with the charset its Content-Type names: any but UTF-8, ASCII or
    Latin-1 is 400, since some codecs (UTF-7, unicode_escape) decode to lone surrogates. An unknown charset is
    left alone: the form parser falls back to Latin-1, which cannot."""
    media, _, params = content_type.partition(b";")
    if not media.strip().lower().startswith(b"multipart/"):
        return None
    for param in params.split(b";"):
        name, _, value = param.partition(b"=")
        if name.strip().lower() != b"charset":
            continue
        charset = value.strip().strip(b'"').decode("latin-1")
        try:
            codec = codecs.lookup(charset).name
        except LookupError:
            continue
        if codec not in _FORM_CODECS:
            return InvalidRequestError(
                f"A multipart form's charset must be UTF-8, not {charset!r}.", param="Content-Type", code=CODE
            )
    return None


def path_refusal(path: str) -> InvalidRequestError | None:
    if path.isascii() or _bad_char(path) is None:
        return None
    return InvalidRequestError("The request path is not valid Unicode text.", param="path", code=CODE)


class ValidText:
    """ASGI middleware: the path, a multipart form's charset and every request body that decodes as JSON hold
    only text UTF-8 can carry, or the request is answered with 400 before it reaches a route. The body is read
    whole first (routes read it whole anyway; RequestBounds has capped it) and handed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = path_refusal(scope.get("path", "")) or form_charset_refusal(_header(scope, b"content-type"))
        if refusal is None and scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        try:
            messages = [] if refusal else await _read_body(receive)
        except ApiError as error:  # RequestBounds refused the body as it arrived
            await send_error(scope, send, error)
            return
        if refusal is None:
            body = (
                messages[0].get("body", b"")
                if len(messages) == 1
                else b"".join(m.get("body", b"") for m in messages)
            )
            refusal = body_refusal(body)
        if refusal is not None:
            await send_error(scope, send, refusal)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def send_error(scope: Scope, send: Send, error: ApiError) -> None:
    """``error`` answered from middleware, before any route, in the shape the handlers give it."""
    body = error_body(scope.get("path", ""), error.status, error.message, error.type, error.param, error.code)
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


async def _read_body(receive: Receive) -> list[Message]:
    """The request's messages up to its last body chunk (or a disconnect), as received."""
    messages = [await receive()]
    while messages[-1]["type"] == "http.request" and messages[-1].get("more_body", False):
        messages.append(await receive())
    return messages
