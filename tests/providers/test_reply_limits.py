"""A hostile server against every provider's reply bounds (issue 15, item 8):
a 50 MB reply, tool-call arguments of many MB, and a trickle of one byte
every half second. Each is stopped at its bound with one ``Error`` of kind
``limit``; the text that arrived before the bound is passed on (and so kept
by the runner, tests/core/test_runner_limits.py)."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import ChatMessage, ChatRequest, Done, Error, ProviderConfig, TextDelta, ToolCall
from app.core.provider_factory import options_from_settings
from app.providers.base import ProviderError, ProviderOptions, ReplyLimits, RetryPolicy, Timeouts
from app.providers.ollama import OllamaProvider
from app.providers.openai_compat import OpenAICompatProvider
from app.providers.sse import sse_data
from app.settings import load_settings
from tests.providers.embedded_helpers import ask, collect, scripted_provider
from tests.providers.fault_server import FaultServer, ndjson, openai_chunk, sse_event
from tests.providers.hostile_handlers import (
    MB,
    OLLAMA_DONE,
    Sent,
    ndjson_line,
    ollama_flood,
    ollama_message,
    openai_flood,
    openai_tool_flood,
    trickle,
)

CHAT = "/v1/chat/completions"
BOUND = 60.0  # seconds: no hostile reply may hold a run longer than this


def options(**limits) -> ProviderOptions:
    return ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                           retry=RetryPolicy(attempts=1), limits=ReplyLimits(**limits))


def request(stream: bool = True) -> ChatRequest:
    return ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")],
                       stream=stream)


def run(provider, req: ChatRequest | None = None) -> list:
    async def go() -> list:
        try:
            return [event async for event in provider.stream_chat(req or request())]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), BOUND))


def openai(server: FaultServer, opts: ProviderOptions) -> OpenAICompatProvider:
    return OpenAICompatProvider(ProviderConfig(name="hostile", kind="llamacpp",
                                               base_url=f"{server.url}/v1"), opts)


def ollama(server: FaultServer, opts: ProviderOptions) -> OllamaProvider:
    return OllamaProvider(ProviderConfig(name="hostile", kind="ollama", base_url=server.url),
                          opts)


def limit_error(events: list) -> Error:
    """The reply ended with exactly one Error of kind ``limit``, nothing after."""
    assert events and isinstance(events[-1], Error), events[-3:]
    assert sum(isinstance(e, (Error, Done)) for e in events) == 1, events[-3:]
    error = events[-1]
    assert error.kind == "limit" and not error.retryable, error
    return error


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


# -- reply size ---------------------------------------------------------------------

def test_a_50_mb_reply_stops_at_the_default_4_mb_with_the_text_so_far(server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_flood(sent, 50 * MB))

    events = run(openai(server, options()))

    error = limit_error(events)
    assert "4 MB" in error.message and "limits.reply_bytes" in error.message
    assert text_of(events) == "x" * (4 * MB)        # exactly up to the bound, kept
    # The rest was never read (what the sockets' buffers took aside).
    assert not sent.finished and sent.bytes < 25 * MB


def test_a_configured_reply_limit_cuts_inside_a_chunk_on_a_character_boundary(server) -> None:
    server.route("POST", CHAT, lambda ex: _sse(ex, ["ab", "cdé€", "never"]))

    events = run(openai(server, ProviderOptions(limits=ReplyLimits(reply_bytes=5))))

    limit_error(events)
    # "ab" (2) + "cd" (2) + "é" (2 bytes) would be 6: the cut keeps "abcd" only.
    assert text_of(events) == "abcd"


def _sse(ex, texts: list[str]) -> None:
    ex.send_head(200, {"Content-Type": "text/event-stream"})
    for text in texts:
        ex.write(sse_event(openai_chunk(text)))
    ex.write(sse_event(openai_chunk(finish_reason="stop")) + sse_event("[DONE]"))
    ex.end()


def test_a_non_streamed_50_mb_reply_is_refused_without_reading_it_whole(server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_flood(sent, 50 * MB))

    events = run(openai(server, options()), request(stream=False))

    assert "limits.reply_bytes" in limit_error(events).message
    assert not sent.finished


def test_ollama_50_mb_reply_stops_at_the_limit_with_the_text_so_far(server) -> None:
    sent = Sent()
    server.route("POST", "/api/chat", ollama_flood(sent, 50 * MB))

    events = run(ollama(server, options()))

    assert "limits.reply_bytes" in limit_error(events).message
    assert text_of(events) == "x" * (4 * MB)
    assert not sent.finished


def test_ollama_non_streamed_reply_over_the_limit_is_refused(server) -> None:
    sent = Sent()
    server.route("POST", "/api/chat", ollama_flood(sent, 50 * MB))

    events = run(ollama(server, options(reply_bytes=64 * 1024)), request(stream=False))

    limit_error(events)
    assert not sent.finished


# -- tool-call arguments ---------------------------------------------------------------

def test_huge_tool_call_arguments_are_refused_as_they_arrive(server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_tool_flood(sent, 40 * MB))

    events = run(openai(server, options()))

    error = limit_error(events)
    assert "write_file" in error.message and "256 KB" in error.message
    assert "limits.tool_argument_bytes" in error.message
    assert not any(isinstance(e, ToolCall) for e in events)   # never passed on to run
    assert text_of(events) == "Let me write that file."      # the text before is kept
    assert not sent.finished and sent.bytes < 20 * MB


def test_tool_call_arguments_below_the_limit_still_pass(server) -> None:
    sent = Sent()
    server.route("POST", CHAT, openai_tool_flood(sent, 100 * 1024, piece=10 * 1024))

    events = run(openai(server, options()))

    calls = [e for e in events if isinstance(e, ToolCall)]
    assert isinstance(events[-1], Done) and len(calls) == 1
    assert len(calls[0].arguments["content"]) == 100 * 1024


def test_ollama_tool_call_with_huge_arguments_is_refused(server) -> None:
    big = {"path": "big.txt", "content": "A" * (1 * MB)}
    server.route("POST", "/api/chat", ndjson([
        ollama_message("Writing it now."),
        ollama_message(tool_calls=[{"function": {"name": "write_file", "arguments": big}}]),
        OLLAMA_DONE]))

    events = run(ollama(server, options()))

    assert "write_file" in limit_error(events).message
    assert not any(isinstance(e, ToolCall) for e in events)
    assert text_of(events) == "Writing it now."


def test_embedded_tool_call_with_huge_arguments_is_refused(monkeypatch, tmp_path) -> None:
    script = [openai_chunk(role="assistant", content="ok "),
              openai_chunk(tool_calls=[{"index": 0, "id": "c1", "type": "function",
                                        "function": {"name": "write_file", "arguments": ""}}]),
              *[openai_chunk(tool_calls=[{"index": 0, "function": {"arguments": "A" * 65536}}])
                for _ in range(8)],
              openai_chunk(finish_reason="tool_calls")]
    provider = scripted_provider(monkeypatch, tmp_path, script)

    events = asyncio.run(collect(provider, ask()))

    assert "write_file" in limit_error(events).message
    assert not any(isinstance(e, ToolCall) for e in events)


def test_embedded_reply_over_the_limit_stops_there(monkeypatch, tmp_path) -> None:
    script = [openai_chunk("y" * 1000) for _ in range(50)] + [openai_chunk(finish_reason="stop")]
    provider = scripted_provider(monkeypatch, tmp_path, script)
    provider.options = ProviderOptions(limits=ReplyLimits(reply_bytes=10_500))

    events = asyncio.run(collect(provider, ask()))

    limit_error(events)
    assert text_of(events) == "y" * 10_500


# -- duration ---------------------------------------------------------------------------

def test_a_one_byte_per_half_second_trickle_ends_at_the_reply_deadline(server) -> None:
    sent = Sent()
    head = sse_event(openai_chunk(role="assistant", content="Hello")) + b": "
    tail = b"\n\n" + sse_event(openai_chunk(finish_reason="stop")) + sse_event("[DONE]")
    # 12 s of trickle; every gap (0.5 s) is far below the 5 s idle timeout.
    server.route("POST", CHAT, trickle(sent, head, b".", 12.0, tail, "text/event-stream"))

    events = run(openai(server, options(reply_seconds=2.0)))

    error = limit_error(events)
    assert "after 2 s" in error.message and "limits.reply_seconds" in error.message
    assert text_of(events) == "Hello"
    assert not sent.finished                  # stopped long before the server's end


def test_ollama_trickle_ends_at_the_reply_deadline(server) -> None:
    sent = Sent()
    head = ndjson_line(ollama_message("Hello")) + b" "
    tail = b"\n" + ndjson_line(OLLAMA_DONE)
    server.route("POST", "/api/chat",
                 trickle(sent, head, b" ", 12.0, tail, "application/x-ndjson"))

    events = run(ollama(server, options(reply_seconds=2.0)))

    assert "limits.reply_seconds" in limit_error(events).message
    assert text_of(events) == "Hello"
    assert not sent.finished


def test_a_reply_within_the_deadline_is_untouched(server) -> None:
    sent = Sent()
    head = sse_event(openai_chunk(role="assistant", content="Hello")) + b": "
    tail = b"\n\n" + sse_event(openai_chunk(finish_reason="stop")) + sse_event("[DONE]")
    server.route("POST", CHAT, trickle(sent, head, b".", 1.0, tail, "text/event-stream"))

    events = run(openai(server, options(reply_seconds=60.0)))

    assert isinstance(events[-1], Done) and text_of(events) == "Hello" and sent.finished


# -- stream framing ------------------------------------------------------------------------

def test_an_sse_event_of_endless_short_data_lines_is_refused_at_the_bound() -> None:
    """Each line is bounded by the transport; an event is many lines, and
    without its own bound one that never ends would be collected whole."""
    consumed = 0

    async def endless():
        nonlocal consumed
        yield "data: {"
        while consumed < 200_000:
            consumed += 1
            yield 'data: "padding",'

    async def go() -> list[str]:
        return [payload async for payload in sse_data(endless(), 10_000, "hostile")]

    with pytest.raises(ProviderError) as caught:
        asyncio.run(go())

    assert caught.value.kind == "protocol" and "longer than" in caught.value.message
    assert consumed < 1_000          # stopped at 10,000 characters, not at the end


def test_a_stream_event_of_many_data_lines_ends_the_reply_as_a_protocol_error(server) -> None:
    body = b"data: " + b"\ndata: x" * 300_000 + b"\n\n"
    server.route("POST", CHAT, lambda ex: (ex.send_head(200, {"Content-Type":
                                                              "text/event-stream"}),
                                           ex.write(body), ex.end()))
    opts = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                           retry=RetryPolicy(attempts=1), max_line_bytes=64 * 1024)

    events = run(openai(server, opts))

    assert isinstance(events[-1], Error) and events[-1].kind == "protocol"
    assert "longer than" in events[-1].message


# -- settings ------------------------------------------------------------------------------

def test_the_limits_come_from_the_settings_and_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("AGENTDESK_LIMITS__REPLY_SECONDS", "90")
    settings = load_settings(tmp_path, limits={"reply_bytes": 2048,
                                               "tool_argument_bytes": 4096})

    limits = options_from_settings(settings).limits

    assert limits == ReplyLimits(reply_bytes=2048, tool_argument_bytes=4096,
                                 reply_seconds=90.0)
    assert options_from_settings(load_settings(tmp_path / "other")).limits.reply_bytes == 4 * MB
