"""app/api/streaming.py: lines a streamed reply has ready together go out as
one write; closing the response closes the turn; a failure reaches the
response. (Over real HTTP the NDJSON and SSE tests in test_api_chat.py and
test_openai_compat.py cover the same writer end to end.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.api.streaming import coalesced


async def _burst_then_wait(closed: list[bool]) -> AsyncIterator[str]:
    try:
        yield "a\n"
        yield "b\n"           # ready in the same loop turn as "a"
        await asyncio.sleep(0.01)
        yield "c\n"
    finally:
        closed.append(True)


def test_lines_ready_together_are_one_chunk_and_later_ones_follow() -> None:
    async def collect() -> list[bytes]:
        return [chunk async for chunk in coalesced(_burst_then_wait([]))]

    assert asyncio.run(collect()) == [b"a\nb\n", b"c\n"]


def test_closing_the_response_closes_the_turn() -> None:
    closed: list[bool] = []

    async def leave_after_first() -> bytes:
        stream = coalesced(_burst_then_wait(closed))
        first = await anext(stream)
        await stream.aclose()           # the client went away
        return first

    assert asyncio.run(leave_after_first()) == b"a\nb\n"
    assert closed == [True]


def test_a_failing_turn_fails_the_response_after_what_it_sent() -> None:
    async def fails() -> AsyncIterator[bytes]:
        yield b"x\n"
        await asyncio.sleep(0)
        raise ValueError("broken")

    async def collect(got: list[bytes]) -> None:
        async for chunk in coalesced(fails()):
            got.append(chunk)

    got: list[bytes] = []
    with pytest.raises(ValueError, match="broken"):
        asyncio.run(collect(got))
    assert got == [b"x\n"]
