"""A streamed request's upstream side: reads the provider's events into the client's rendering and settles the
request before the last chunk. When the client goes away the upstream call is cancelled and the request is
settled for what was generated, inside the response's own lifetime: Lambda freezes a process as soon as the
response ends, so nothing may be left to a background task."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from empirio.domain.canonical import Event, TokenUsage, UsageUpdate
from empirio.domain.stream import Accumulator
from empirio.providers.base import UpstreamError

logger = logging.getLogger("empirio.inference")

Ending = Literal["complete", "upstream_error", "disconnected", "internal_error"]


@dataclass(frozen=True)
class Outcome:
    """How a stream ended, and the usage it is billed for."""

    ending: Ending
    usage: TokenUsage
    error: str | None = None

    @property
    def complete(self) -> bool:
        return self.ending == "complete"


@dataclass
class Pump:
    renderer: Any
    events: AsyncIterator[Event]
    first: list[Event]
    finish: Callable[[Outcome, list[bytes]], Awaitable[list[bytes]]]
    prompt_tokens: int = 0  # our own estimate, billed when the upstream never reported its input count
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    accumulator: Accumulator = field(default_factory=Accumulator)
    first_token_at: float | None = None
    rendered: list[bytes] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    disconnected: bool = False
    settled: bool = False

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """The response is over. If the upstream is still being read, the client left: cancel the upstream call
        and wait for the settlement of what was generated."""
        task = self.task
        if task is None:
            return
        if not task.done() and not self.settled:  # once settling has begun it must finish, not be cut short
            self.disconnected = True
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:  # cancelled before it ever ran: settle here what it would have
            await self._settle("disconnected", "the client disconnected")

    def _put(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.rendered.append(chunk)
            self.queue.put_nowait(chunk)

    async def _run(self) -> None:
        ending: Ending = "complete"
        error: str | None = None
        try:
            self._put(self.renderer.start())
            for event in self.first:
                self._feed(event)
            async for event in self.events:
                self._feed(event)
            if self.accumulator.finish is None:  # a clean end without the provider's final event: cut short
                ending, error = "upstream_error", "The upstream provider ended the stream before it finished."
        except UpstreamError as exc:
            ending, error = "upstream_error", exc.message
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()  # settling below must run to its end
            ending, error = "disconnected", "the client disconnected"
        except Exception:  # a bug must not leave the hold pending until the sweeper
            logger.exception("stream pump failed")
            ending, error = "internal_error", "internal error"
        finally:
            await self._settle(ending, error)

    async def _settle(self, ending: Ending, error: str | None) -> None:
        """Close the upstream and settle, exactly once, however the stream ended."""
        if self.settled:
            return
        self.settled = True
        await self._close_upstream()
        outcome = Outcome(ending, self._billed_usage(ending == "complete"), error)
        try:
            self._put(await self.finish(outcome, self.rendered))
        except Exception:
            logger.exception("settling a stream failed")
        self.queue.put_nowait(None)

    async def _close_upstream(self) -> None:
        aclose = getattr(self.events, "aclose", None)
        if aclose is None:
            return
        try:
            await aclose()
        except Exception:  # the connection is being torn down anyway
            logger.debug("closing the upstream stream failed", exc_info=True)

    def _billed_usage(self, complete: bool) -> TokenUsage:
        acc = self.accumulator
        if complete and acc.saw_usage:
            return acc.usage
        usage = acc.generated_estimate()
        if usage.input_tokens == 0:  # the upstream reports its counts at the end, which never came
            usage = TokenUsage(self.prompt_tokens, usage.output_tokens, 0, usage.reasoning_tokens)
        return usage

    def _feed(self, event: Event) -> None:
        if self.first_token_at is None and not isinstance(event, UsageUpdate):
            self.first_token_at = time.monotonic()
        self.accumulator.feed(event)
        self._put(self.renderer.event(event))

    async def body(self, heartbeat: bytes, every: float = 15.0) -> AsyncIterator[bytes]:
        """What the client reads: rendered chunks, with a heartbeat during long silences. Chunks already queued
        when the response is ready to write go out together, in one write (nothing waits to be joined)."""
        queue = self.queue
        while True:
            if queue.empty():
                try:
                    async with asyncio.timeout(every):
                        chunk = await queue.get()
                except TimeoutError:
                    yield heartbeat
                    continue
            else:
                chunk = queue.get_nowait()
            if chunk is None:
                return
            parts = [chunk]
            while not queue.empty():
                following = queue.get_nowait()
                if following is None:
                    yield b"".join(parts)
                    return
                parts.append(following)
            yield parts[0] if len(parts) == 1 else b"".join(parts)


class PumpResponse(StreamingResponse):
    """A streamed answer whose ASGI call ends only once the request is settled, however the client left."""

    def __init__(self, pump: Pump, heartbeat: bytes, headers: dict[str, str]) -> None:
        super().__init__(pump.body(heartbeat), media_type="text/event-stream", headers=headers)
        self.pump = pump

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self.pump.close()
