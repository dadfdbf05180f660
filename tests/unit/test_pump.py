"""The stream pump: heartbeats during silences, settling before the last chunk, reading on after a disconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from empirio.domain.canonical import Event, Finish, TextDelta, TokenUsage, UsageUpdate
from empirio.formats.openai_chat import StreamRenderer
from empirio.formats.sse import HEARTBEAT
from functions.inference.pump import Pump


async def slow_events(pause: float) -> AsyncIterator[Event]:
    yield TextDelta("Hello")
    await asyncio.sleep(pause)
    yield TextDelta(" world")
    yield Finish("stop")
    yield UsageUpdate(TokenUsage(5, 2))


def run_pump(pause: float, every: float, read: int | None = None) -> tuple[list[bytes], list[TokenUsage]]:
    settled: list[TokenUsage] = []

    async def finish(
        usage: TokenUsage, complete: bool, error: str | None, rendered: list[bytes]
    ) -> list[bytes]:
        settled.append(usage)
        return [b"data: end\n\n"]

    async def main() -> list[bytes]:
        pump = Pump(renderer=StreamRenderer("req_1", "m"), events=slow_events(pause), first=[], finish=finish)
        pump.start()
        out = []
        body = pump.body(HEARTBEAT, every=every)
        async for chunk in body:
            out.append(chunk)
            if read is not None and len(out) >= read:
                await body.aclose()  # the client disconnects
                break
        assert pump.task is not None
        await pump.task
        return out

    return asyncio.run(main()), settled


def test_a_long_silence_gets_heartbeats_and_the_stream_still_ends() -> None:
    chunks, settled = run_pump(pause=0.25, every=0.05)
    assert chunks.count(HEARTBEAT) >= 3
    assert chunks[-1] == b"data: end\n\n" and settled == [TokenUsage(5, 2)]


def test_after_a_disconnect_the_upstream_is_read_to_the_end_and_settled() -> None:
    chunks, settled = run_pump(pause=0.05, every=1.0, read=2)
    assert len(chunks) == 2
    assert settled == [TokenUsage(5, 2)]  # the upstream's own final usage, read after the client left
