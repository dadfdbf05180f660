"""The stream pump: heartbeats during silences, settling before the last chunk, cancelling on a disconnect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from empirio.domain.canonical import Event, Finish, TextDelta, TokenUsage, UsageUpdate
from empirio.formats.openai_chat import StreamRenderer
from empirio.formats.sse import HEARTBEAT
from functions.inference.pump import Outcome, Pump

upstream_closed: list[bool] = []


async def slow_events(pause: float) -> AsyncIterator[Event]:
    try:
        yield TextDelta("Hello")
        await asyncio.sleep(pause)
        yield TextDelta(" world")
        yield Finish("stop")
        yield UsageUpdate(TokenUsage(5, 2))
    finally:
        upstream_closed.append(True)


def run_pump(pause: float, every: float, until: bytes | None = None) -> tuple[list[bytes], list[Outcome]]:
    """The chunks a client reads (leaving once ``until`` has arrived, if given) and how the stream settled."""
    settled: list[Outcome] = []
    upstream_closed.clear()

    async def finish(outcome: Outcome, rendered: list[bytes]) -> list[bytes]:
        settled.append(outcome)
        return [b"data: end\n\n"]

    async def main() -> list[bytes]:
        pump = Pump(
            renderer=StreamRenderer("req_1", "m"),
            events=slow_events(pause),
            first=[],
            finish=finish,
            prompt_tokens=7,
        )
        pump.start()
        out = []
        async for chunk in pump.body(HEARTBEAT, every=every):
            out.append(chunk)
            if until is not None and until in b"".join(out):
                break  # the client disconnects
        await pump.close()  # what the response does as it ends
        assert pump.task is not None and pump.task.done()
        return out

    return asyncio.run(main()), settled


def test_a_long_silence_gets_heartbeats_and_the_stream_still_ends() -> None:
    chunks, settled = run_pump(pause=0.25, every=0.05)
    assert chunks.count(HEARTBEAT) >= 3
    assert b"".join(chunks).endswith(b"data: end\n\n") and settled == [Outcome("complete", TokenUsage(5, 2))]


def test_chunks_already_queued_go_out_in_one_write_and_nothing_is_lost() -> None:
    chunks, settled = run_pump(pause=0, every=10.0)
    body = b"".join(chunks)
    events = [e for e in body.split(b"\n\n") if e]
    assert b'"Hello"' in body and b'" world"' in body and body.endswith(b"data: end\n\n")
    assert len(chunks) < len(events)  # joined, never split: each chunk ends on an event boundary
    assert all(chunk.endswith(b"\n\n") for chunk in chunks)
    assert settled == [Outcome("complete", TokenUsage(5, 2))]


def test_a_disconnect_cancels_the_upstream_and_settles_what_was_generated_before_close_returns() -> None:
    chunks, settled = run_pump(pause=5.0, every=10.0, until=b'"Hello"')
    assert b" world" not in b"".join(chunks) and upstream_closed == [True]
    # "Hello" was generated; the upstream never reported usage, so the prompt is billed at our own estimate.
    assert settled == [Outcome("disconnected", TokenUsage(7, 2), "the client disconnected")]


def test_a_pump_cancelled_before_it_ever_ran_still_settles_once() -> None:
    settled: list[Outcome] = []

    async def finish(outcome: Outcome, rendered: list[bytes]) -> list[bytes]:
        settled.append(outcome)
        return []

    async def main() -> None:
        pump = Pump(renderer=StreamRenderer("req_1", "m"), events=slow_events(0), first=[], finish=finish)
        pump.start()
        await pump.close()  # the client was gone before the pump's first step

    asyncio.run(main())
    assert [o.ending for o in settled] == ["disconnected"]


def test_a_client_leaving_while_the_stream_is_being_settled_does_not_cut_the_settlement_short() -> None:
    """The race a soak under load found: the upstream ended, settling (a slow DynamoDB write) began, and only
    then the client left. Cancelling the pump there would leave the hold pending until the sweeper."""
    done: list[str] = []

    async def finish(outcome: Outcome, rendered: list[bytes]) -> list[bytes]:
        await asyncio.sleep(0.2)  # the settle transaction, slow under load
        done.append(outcome.ending)
        return []

    async def main() -> None:
        pump = Pump(renderer=StreamRenderer("req_1", "m"), events=slow_events(0), first=[], finish=finish)
        pump.start()
        while not pump.settled:
            await asyncio.sleep(0.01)
        await pump.close()  # the client leaves now

    asyncio.run(main())
    assert done == ["complete"]
