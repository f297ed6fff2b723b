"""Leaving ``HttpTransport.stream_lines`` early (the consumer raises or stops
mid-stream, as an Ollama pull does on an ``{"error"}`` line or when the
person presses Stop) closes the HTTP response in the leaving task, before the
line reader lets go of httpx/httpcore's body iterators.

Closed the other way round, those iterators were dropped while their
connection was still open: on a loop without asyncio's async-generator hooks
(the Qt tests' qasync loop) the garbage collector then closed them
synchronously, and their close (which awaits a lock) failed with "async
generator ignored GeneratorExit" — PytestUnraisableExceptionWarning in
tests/ui/test_model_library_ollama.py. Here the loop's hooks are taken away
the same way, and any unraisable exception fails the test.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Iterator

import pytest

from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.providers.transport import HttpTransport
from tests.providers.fault_server import FaultServer, chunks

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1, backoff=0.01))
LINES = [(f'{{"status": "line {n}"}}\n'.encode(), 0.01) for n in range(40)]


class Stop(Exception):
    pass


@pytest.fixture
def unraisable() -> Iterator[list[str]]:
    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: seen.append(f"{info.exc_type.__name__}: "
                                                   f"{info.exc_value} in {info.object!r}")
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def read_some(url: str, how: str) -> list[str]:
    async def go() -> list[str]:
        sys.set_asyncgen_hooks(firstiter=None, finalizer=None)   # as under qasync in tests
        transport = HttpTransport(url, options=OPTIONS)
        got: list[str] = []
        try:
            async with transport.stream_lines("POST", "/api/pull", {"model": "m"}) as lines:
                async for line in lines:
                    got.append(line)
                    if len(got) == 3:
                        if how == "raise":
                            raise Stop
                        break
        except Stop:
            pass
        finally:
            await transport.aclose()
        gc.collect()
        return got

    return asyncio.run(asyncio.wait_for(go(), 20))


@pytest.mark.parametrize("how", ["raise", "break"])
def test_leaving_mid_stream_leaves_nothing_for_the_garbage_collector(how, unraisable):
    with FaultServer() as server:
        server.route("POST", "/api/pull", chunks(LINES, content_type="application/x-ndjson"))
        got = read_some(server.url, how)
    gc.collect()
    assert got == ['{"status": "line 0"}', '{"status": "line 1"}', '{"status": "line 2"}']
    assert unraisable == []


def test_a_plain_answer_cut_at_its_size_limit_leaves_nothing_either(unraisable):
    big = [(b"x" * 100_000, 0.005) for _ in range(60)]          # 6 MB, over a 2 MB limit
    options = ProviderOptions(timeouts=OPTIONS.timeouts, retry=OPTIONS.retry,
                              max_body_bytes=2 * 1024 * 1024)

    async def go() -> str:
        sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
        transport = HttpTransport(server.url, options=options)
        try:
            await transport.request_json("GET", "/api/v1/models")
        except ProviderError as error:
            return error.kind
        finally:
            await transport.aclose()
            gc.collect()
        return "answered"

    with FaultServer() as server:
        server.route("GET", "/api/v1/models", chunks(big, content_type="application/json"))
        kind = asyncio.run(asyncio.wait_for(go(), 20))
    gc.collect()
    assert kind == "limit"
    assert unraisable == []
