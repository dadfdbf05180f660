"""A streamed request's upstream side: reads the provider's events into the client's rendering, settles the
request, and keeps going when the client disconnects (bounded), so what was generated is charged."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from empirio.domain.canonical import Event, TokenUsage, UsageUpdate
from empirio.domain.stream import Accumulator
from empirio.providers.base import UpstreamError

logger = logging.getLogger("empirio.inference")
DISCONNECT_GRACE_SECONDS = 60.0  # how long we keep reading an upstream for its usage after the client left

_running: set[asyncio.Task[None]] = set()  # strong references: a pump outlives its response


@dataclass
class Pump:
    renderer: Any
    events: AsyncIterator[Event]
    first: list[Event]
    finish: Callable[[TokenUsage, bool, str | None, list[bytes]], Awaitable[list[bytes]]]
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    accumulator: Accumulator = field(default_factory=Accumulator)
    first_token_at: float | None = None
    rendered: list[bytes] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())
        _running.add(self.task)
        self.task.add_done_callback(_running.discard)

    def abandon(self) -> None:
        """The client went away: finish reading within the grace period, then stop and settle what we have."""
        if self.task and not self.task.done():
            asyncio.get_running_loop().call_later(DISCONNECT_GRACE_SECONDS, self.task.cancel)

    def _put(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.rendered.append(chunk)
            self.queue.put_nowait(chunk)

    async def _run(self) -> None:
        error: str | None = None
        complete = False
        try:
            self._put(self.renderer.start())
            for event in self.first:
                self._feed(event)
            async for event in self.events:
                self._feed(event)
            complete = True
        except UpstreamError as exc:
            error = exc.message
        except asyncio.CancelledError:
            error = "stopped after the client disconnected"
        except Exception:  # a bug must not leave the hold pending until the sweeper
            logger.exception("stream pump failed")
            error = "internal error"
        finally:
            acc = self.accumulator
            usage = acc.usage if complete and acc.saw_usage else acc.generated_estimate()
            try:
                self._put(await self.finish(usage, complete, error, self.rendered))
            except Exception:
                logger.exception("settling a stream failed")
            self.queue.put_nowait(None)

    def _feed(self, event: Event) -> None:
        if self.first_token_at is None and not isinstance(event, UsageUpdate):
            self.first_token_at = time.monotonic()
        self.accumulator.feed(event)
        self._put(self.renderer.event(event))

    async def body(self, heartbeat: bytes, every: float = 15.0) -> AsyncIterator[bytes]:
        """What the client reads: rendered chunks, with a heartbeat during long silences."""
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(self.queue.get(), timeout=every)
                except TimeoutError:
                    yield heartbeat
                    continue
                if chunk is None:
                    return
                yield chunk
        finally:
            if self.task and not self.task.done():
                self.abandon()
