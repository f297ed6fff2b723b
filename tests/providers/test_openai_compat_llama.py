"""The OpenAI-compatible provider against the REAL llama.cpp server
(llama-cpp-python serving Gemma 3 270M, fixture ``llama_server``).

The model is tiny: these tests assert protocol and behaviour, never wording.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    ProviderConfig,
    TextDelta,
    ToolCall,
    ToolSpec,
    Usage,
)
from app.providers.openai_compat import OpenAICompatProvider

STORY = "Write a long story about a dragon who learns to bake bread."


def make_provider(server) -> OpenAICompatProvider:
    return OpenAICompatProvider(ProviderConfig(name="llama", kind="llamacpp",
                                               base_url=server.base_url))


def ask(server, content: str = "Say hello.", **fields) -> ChatRequest:
    fields.setdefault("max_tokens", 16)
    fields.setdefault("temperature", 0.0)
    messages = fields.pop("messages", None) or [ChatMessage(role="user", content=content)]
    return ChatRequest(model=server.model, messages=messages, **fields)


async def collect(provider: OpenAICompatProvider, request: ChatRequest) -> list:
    return [event async for event in provider.stream_chat(request)]


def run(server, *requests: ChatRequest, concurrently: bool = False) -> list[list]:
    """Each request's events; one after another unless ``concurrently``."""
    async def go() -> list[list]:
        provider = make_provider(server)
        try:
            if concurrently:
                return list(await asyncio.gather(*(collect(provider, r) for r in requests)))
            return [await collect(provider, r) for r in requests]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), 240))


def assert_complete(events: list) -> Usage:
    """Deltas, then exactly one Usage, then Done, and nothing else."""
    assert not any(isinstance(e, Error) for e in events), events
    assert isinstance(events[-1], Done) and isinstance(events[-2], Usage), events[-3:]
    assert sum(isinstance(e, (Usage, Done)) for e in events) == 2
    return events[-2]


def test_model_list_contains_gemma3(llama_server) -> None:
    async def go():
        provider = make_provider(llama_server)
        try:
            return await provider.list_models(), await provider.probe()
        finally:
            await provider.aclose()

    models, probe = asyncio.run(go())
    assert "gemma3" in [m.id for m in models]
    assert probe.model_count == len(models) and probe.auth_ok


def test_streamed_reply_with_usage(llama_server) -> None:
    (events,) = run(llama_server, ask(llama_server))
    usage = assert_complete(events)
    deltas = events[:-2]
    assert deltas and all(isinstance(e, TextDelta) for e in deltas)
    assert usage.completion_tokens > 0 and usage.ttft_ms > 0 and usage.tokens_per_s > 0
    assert events[-1].stop_reason in ("stop", "length")


def test_max_tokens_ends_with_length(llama_server) -> None:
    (events,) = run(llama_server, ask(llama_server, STORY, max_tokens=4))
    usage = assert_complete(events)
    assert events[-1] == Done(stop_reason="length")
    assert 0 < usage.completion_tokens <= 4


def test_multi_turn_history_reaches_the_model(llama_server) -> None:
    history = [ChatMessage(role="system", content="You are terse."),
               ChatMessage(role="user", content="Name a colour."),
               ChatMessage(role="assistant", content="Blue."),
               ChatMessage(role="user", content="Another one?")]
    streamed, whole, single = run(
        llama_server, ask(llama_server, messages=history),
        ask(llama_server, messages=history, stream=False, max_tokens=1),
        ask(llama_server, messages=history[-1:], stream=False, max_tokens=1))
    assert_complete(streamed)
    assert any(isinstance(e, TextDelta) for e in streamed)
    # The server counted the earlier turns: the prompt is longer than the last turn alone.
    assert assert_complete(whole).prompt_tokens > assert_complete(single).prompt_tokens


def test_non_streaming_reply(llama_server) -> None:
    (events,) = run(llama_server, ask(llama_server, stream=False))
    usage = assert_complete(events)
    assert any(isinstance(e, TextDelta) and e.text for e in events)
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_forced_tool_choice_yields_a_tool_call(llama_server) -> None:
    weather = ToolSpec(name="get_weather", description="Weather for a city",
                       parameters={"type": "object",
                                   "properties": {"city": {"type": "string"}},
                                   "required": ["city"]})
    (events,) = run(llama_server, ask(llama_server, "What is the weather in Paris?",
                                      tools=[weather], tool_choice="get_weather",
                                      max_tokens=32))
    assert_complete(events)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id
    assert isinstance(calls[0].arguments, (dict, str))  # invalid JSON is kept raw
    assert events[-1] == Done(stop_reason="tool_calls")


def _access_port(log: Path, skip: int) -> int | None:
    """The client port of the newest chat request in the server's access log."""
    lines = log.read_text(errors="replace").splitlines()[skip:]
    ports = [int(m.group(1)) for line in lines
             if (m := re.search(r"127\.0\.0\.1:(\d+) - \"POST /v1/chat/completions", line))]
    return ports[-1] if ports else None


def test_cancel_mid_stream_the_server_sees_the_disconnect(llama_server) -> None:
    """Closing the generator after the first token must close the connection.

    Evidence from the server itself: llama-cpp-python logs "Disconnected from
    client … port=P" only when it notices the client went away while it was
    still generating. (Its default ``interrupt_requests`` would also stop a
    stream when a second request queues, so "the next request is fast" alone
    would prove nothing; no other request is sent until the line appears.)
    """
    log = llama_server.log_path
    skip = len(log.read_text(errors="replace").splitlines())

    async def go() -> tuple[list, int | None, bool, list]:
        provider = make_provider(llama_server)
        try:
            stream = provider.stream_chat(ask(llama_server, STORY, max_tokens=512))
            received = []
            async for event in stream:
                received.append(event)
                if isinstance(event, TextDelta):
                    break
            await stream.aclose()
            port = _access_port(log, skip)
            pattern = f"Disconnected from client (via refresh/close) Address(host='127.0.0.1', port={port})"
            deadline = time.monotonic() + 15
            seen = False
            while not seen and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                seen = pattern in log.read_text(errors="replace")
            after = await collect(provider, ask(llama_server, max_tokens=4))
            return received, port, seen, after
        finally:
            await provider.aclose()

    received, port, seen, after = asyncio.run(asyncio.wait_for(go(), 120))
    assert isinstance(received[-1], TextDelta)
    assert port is not None
    assert seen, "the server never noticed the client closing the stream"
    assert_complete(after)  # and it serves the next request normally


@pytest.mark.parametrize("count", [4])
def test_concurrent_streams_all_complete(llama_server, count: int) -> None:
    requests = [ask(llama_server, f"Count to {n}.", max_tokens=8) for n in range(count)]
    results = run(llama_server, *requests, concurrently=True)
    assert len(results) == count
    for events in results:
        assert_complete(events)
        assert any(isinstance(e, TextDelta) for e in events)  # queued, not cut short
