"""Ollama faults: each one ends the stream with the right Error kind, fast,
with retries only before the first token, and cancelling hangs up."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.domain import ChatMessage, ChatRequest, Done, Error, TextDelta
from tests.providers.ollama_helpers import chat, make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import CONTEXT_OVERFLOW, OllamaServer
from tests.providers.ollama_wire import ChatReply

REQUEST = ChatRequest(model="llama3.2:latest",
                      messages=[ChatMessage(role="user", content="Tell me a story")])


def _only_error(events: list) -> Error:
    """The stream ended with exactly one Error and nothing after it."""
    assert isinstance(events[-1], Error), events
    assert sum(isinstance(e, (Error, Done)) for e in events) == 1
    return events[-1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connection_is_unreachable() -> None:
    dead = OllamaServer()  # never started: only its URL is used
    provider = make_provider(dead, attempts=2, base_url=f"http://127.0.0.1:{_free_port()}")

    error = _only_error(chat(provider, REQUEST))

    assert error.kind == "unreachable" and error.retryable


@pytest.mark.parametrize(
    ("fault", "kind", "tokens_first"),
    [
        ("500", "server", False),
        ("stall-before-headers", "timeout", False),
        ("stall-after-headers", "timeout", False),
        ("stall-mid-stream", "timeout", True),
        ("cut", "protocol", True),
        ("malformed", "protocol", True),
        ("invalid-utf8", "protocol", True),
        ("huge-line", "protocol", False),
        ("error-line", "server", True),
    ],
)
def test_fault_yields_the_right_error_kind(ollama_server: OllamaServer, fault: str,
                                           kind: str, tokens_first: bool) -> None:
    ollama_server.inject(fault)
    provider = make_provider(ollama_server, first_byte=1.0, idle=0.5)

    events = chat(provider, REQUEST)

    error = _only_error(events)
    assert error.kind == kind, error
    assert any(isinstance(e, TextDelta) for e in events) == tokens_first
    if tokens_first:
        assert not error.retryable  # tokens were shown: never re-send
    # none of these is retried: 500 is not retryable, the rest came mid-stream
    assert len(ollama_server.chat_requests()) == 1


def test_error_line_carries_the_servers_message(ollama_server: OllamaServer) -> None:
    ollama_server.inject("error-line")

    error = _only_error(chat(make_provider(ollama_server), REQUEST))

    assert "an error was encountered while running the model" in error.message


def test_503_before_tokens_is_retried(ollama_server: OllamaServer) -> None:
    ollama_server.inject("503", "503")
    ollama_server.script.append(ChatReply(content=["Once", " upon", " a time"]))

    events = chat(make_provider(ollama_server, attempts=3), REQUEST)

    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Once upon a time"
    assert events[-1] == Done(stop_reason="stop")
    assert len(ollama_server.chat_requests()) == 3


def test_503_gives_up_after_the_last_attempt(ollama_server: OllamaServer) -> None:
    ollama_server.inject("503", "503")

    error = _only_error(chat(make_provider(ollama_server, attempts=2), REQUEST))

    assert error.kind == "server" and error.retryable
    assert len(ollama_server.chat_requests()) == 2


def test_429_with_retry_after_is_retried(ollama_server: OllamaServer) -> None:
    ollama_server.retry_after = "0"
    ollama_server.inject("429")

    events = chat(make_provider(ollama_server), REQUEST)

    assert events[-1] == Done(stop_reason="stop")
    assert len(ollama_server.chat_requests()) == 2


def test_429_asking_for_a_long_wait_is_reported_not_waited(
        ollama_server: OllamaServer) -> None:
    ollama_server.retry_after = "120"  # beyond RetryPolicy.max_wait
    ollama_server.inject("429")

    error = _only_error(chat(make_provider(ollama_server), REQUEST))

    assert error.kind == "rate_limited" and error.retryable
    assert error.retry_after == 120
    assert len(ollama_server.chat_requests()) == 1


def test_cut_after_tokens_is_not_retried(ollama_server: OllamaServer) -> None:
    ollama_server.inject("cut")  # the next request would succeed

    events = chat(make_provider(ollama_server, attempts=3), REQUEST)

    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Partial", " answer"]
    assert _only_error(events).kind == "protocol"
    assert len(ollama_server.chat_requests()) == 1


def test_cancelling_mid_stream_closes_the_connection(ollama_server: OllamaServer) -> None:
    words = [f" word{i}" for i in range(400)]
    ollama_server.script.append(ChatReply(content=words, delay=0.02))
    provider = make_provider(ollama_server)

    async def scenario() -> list:
        seen = []
        stream = provider.stream_chat(REQUEST)
        async for event in stream:
            seen.append(event)
            if len(seen) == 3:
                break
        await stream.aclose()  # what a cancelled consumer does
        # The client (and its connection pool) is still open: only closing
        # the stream can have hung up.
        hung_up = await asyncio.to_thread(ollama_server.disconnected.wait, 10)
        await provider.aclose()
        assert hung_up
        return seen

    seen = asyncio.run(scenario())

    assert all(isinstance(e, TextDelta) for e in seen)
    assert ollama_server.disconnects == 1


def test_cancelling_the_task_closes_the_connection(ollama_server: OllamaServer) -> None:
    ollama_server.script.append(ChatReply(content=[f" w{i}" for i in range(400)], delay=0.02))
    provider = make_provider(ollama_server)

    async def scenario() -> int:
        first = asyncio.Event()
        count = 0

        async def consume() -> None:
            nonlocal count
            async for _event in provider.stream_chat(REQUEST):
                count += 1
                first.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        hung_up = await asyncio.to_thread(ollama_server.disconnected.wait, 10)
        await provider.aclose()
        assert hung_up  # before the client itself was closed
        return count

    count = asyncio.run(scenario())

    assert 0 < count < 400


LONG_REQUEST = ChatRequest(model="llama3.2:latest", context_length=2048,
                           messages=[ChatMessage(role="user", content="word " * 20_000)])


@pytest.mark.parametrize(("fault", "stream"), [
    ("context-length", True),         # 400 {"error": ...} before the stream
    ("context-length", False),        # the same for a non-streamed reply
    ("context-length-line", True),    # an {"error": ...} line in a 200 stream
])
def test_a_prompt_longer_than_the_context_is_context_length(
        ollama_server: OllamaServer, fault: str, stream: bool) -> None:
    ollama_server.inject(fault)  # the next request would be answered
    request = LONG_REQUEST.model_copy(update={"stream": stream})

    events = chat(make_provider(ollama_server, attempts=3), request)

    error = _only_error(events)
    assert error.kind == "context_length", error
    assert CONTEXT_OVERFLOW in error.message  # Ollama's own words reach the user
    assert not error.retryable  # the same prompt cannot fit anywhere by retrying
    assert not any(isinstance(e, TextDelta) for e in events)
    assert len(ollama_server.chat_requests()) == 1
    assert ollama_server.chat_requests()[0]["options"]["num_ctx"] == 2048
