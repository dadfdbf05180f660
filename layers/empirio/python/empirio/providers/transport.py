"""The one module that talks HTTP to upstreams (aiohttp): timeouts, retries before the first byte, SSE reading,
and the mapping of upstream failures to what the client sees (429 → 429, 4xx → 400, 5xx → 502, timeout → 504)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from empirio.providers.base import Options, UpstreamCall, UpstreamError

logger = logging.getLogger("empirio.upstream")


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 300.0  # the longest silence tolerated between bytes (reasoning models think quietly)
    total: float = 900.0  # a Lambda streams for at most 15 minutes
    retries: int = 2  # only before the first byte: connection errors, 429 and 5xx

    @classmethod
    def from_env(cls) -> Timeouts:
        """Defaults, overridable with EMPIRIO_UPSTREAM_{CONNECT,READ,TOTAL}_TIMEOUT (seconds)."""
        values = {
            name: float(os.environ[f"EMPIRIO_UPSTREAM_{name.upper()}_TIMEOUT"])
            for name in ("connect", "read", "total")
            if os.environ.get(f"EMPIRIO_UPSTREAM_{name.upper()}_TIMEOUT")
        }
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def for_options(cls, options: Options) -> Timeouts:
        """The defaults, without retries when a fallback model stands by (it is tried instead)."""
        timeouts = cls.from_env()
        return timeouts if options.retry else replace(timeouts, retries=0)


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def _session() -> aiohttp.ClientSession:
    """One pooled session per event loop (created on first use, never at import)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        connector = aiohttp.TCPConnector(limit=256, ttl_dns_cache=300)
        session = aiohttp.ClientSession(connector=connector, auto_decompress=True, trust_env=False)
        _sessions[loop] = session
    return session


async def close() -> None:
    """Close this loop's pooled connections (the app's shutdown)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


def _error_message(status: int, body: bytes) -> str:
    try:
        parsed = json.loads(body)
        error = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
        message = error.get("message") if isinstance(error, dict) else None
    except (ValueError, AttributeError):
        message = None
    return str(message or body[:300].decode(errors="replace") or f"HTTP {status}")


def _map_status(status: int, body: bytes, headers: Any) -> UpstreamError:
    message = _error_message(status, body)
    if status == 429:
        return UpstreamError(
            429,
            f"The upstream provider is rate limiting: {message}",
            retry_after=headers.get("retry-after") or "1",
            retryable=True,
        )
    if status in (400, 404, 413, 422):
        return UpstreamError(400, f"The upstream provider refused the request: {message}")
    if status in (401, 403):
        return UpstreamError(502, "The upstream provider refused our credentials.")
    return UpstreamError(502, f"The upstream provider failed (HTTP {status}).", retryable=status >= 500)


async def _open(call: UpstreamCall, timeouts: Timeouts) -> aiohttp.ClientResponse:
    """The call (POST, or GET) with retries until the upstream answers 2xx; nothing has reached the client yet, so
    retrying is safe."""
    timeout = aiohttp.ClientTimeout(total=timeouts.total, connect=timeouts.connect, sock_read=timeouts.read)
    delay = 0.25
    for attempt in range(timeouts.retries + 1):
        try:
            if call.method == "GET":
                response = await _session().get(call.url, headers=call.headers, timeout=timeout)
            elif call.files:
                form = aiohttp.FormData()
                for name, value in call.body.items():
                    form.add_field(name, str(value))
                for name, filename, content, content_type in call.files:
                    form.add_field(name, content, filename=filename, content_type=content_type)
                response = await _session().post(call.url, data=form, headers=call.headers, timeout=timeout)
            else:
                response = await _session().post(
                    call.url, json=call.body, headers=call.headers, timeout=timeout
                )
        except TimeoutError as exc:
            if attempt == timeouts.retries:
                raise UpstreamError(504, "The upstream provider timed out.") from exc
        except aiohttp.ClientError as exc:
            if attempt == timeouts.retries:
                raise UpstreamError(
                    502, f"Could not reach the upstream provider ({type(exc).__name__})."
                ) from exc
        else:
            if response.status < 300:
                return response
            body = await response.read()
            response.release()
            error = _map_status(response.status, body, response.headers)
            if not error.retryable or attempt == timeouts.retries:
                raise error
        logger.info("retrying upstream call to %s (attempt %d)", call.url, attempt + 2)
        await asyncio.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


async def call_json(call: UpstreamCall, timeouts: Timeouts | None = None) -> dict[str, Any]:
    """The call's JSON answer (an object)."""
    response = await _open(call, timeouts or Timeouts.from_env())
    try:
        payload = await response.json(content_type=None)
    except TimeoutError as exc:
        raise UpstreamError(504, "The upstream provider timed out.") from exc
    except (aiohttp.ClientError, ValueError) as exc:
        raise UpstreamError(502, "The upstream provider sent an unreadable answer.") from exc
    finally:
        response.release()
    if not isinstance(payload, dict):
        raise UpstreamError(502, "The upstream provider sent an unexpected answer.")
    return payload


async def get_bytes(call: UpstreamCall, timeouts: Timeouts | None = None) -> bytes:
    """A binary answer (a generated video's content), read whole."""
    response = await _open(call, timeouts or Timeouts.from_env())
    try:
        return await response.read()
    except TimeoutError as exc:
        raise UpstreamError(504, "The upstream provider timed out.") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(502, "The upstream provider dropped the answer.") from exc
    finally:
        response.release()


async def stream_sse(
    call: UpstreamCall, timeouts: Timeouts | None = None
) -> AsyncIterator[tuple[str | None, str]]:
    """(event, data) of every SSE message; the call is retried only until the first byte arrives."""
    response = await _open(call, timeouts or Timeouts.from_env())
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        response.release()
        raise UpstreamError(
            502, f"The upstream provider answered a stream with {content_type or 'no content type'}."
        )
    event: str | None = None
    data: list[str] = []
    try:
        async for raw in response.content:
            line = raw.decode("utf-8").rstrip("\r\n")
            if not line:
                if data:
                    yield event, "\n".join(data)
                event, data = None, []
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line.startswith("event:"):
                event = line[6:].strip()
        if data:
            yield event, "\n".join(data)
    except TimeoutError as exc:
        raise UpstreamError(504, "The upstream provider timed out mid-stream.") from exc
    except (aiohttp.ClientError, UnicodeDecodeError) as exc:
        raise UpstreamError(502, "The upstream provider dropped the stream.") from exc
    finally:
        response.release()
