"""Fault tests: the HTTP transport under the OpenAI-compatible provider,
against a real (misbehaving) HTTP server in a thread.

Each fault must end the stream with one Error of the right kind, keep what
the consumer already received, never re-send once a token has arrived, and
never hang (every run is bounded by ``asyncio.wait_for``).
"""

from __future__ import annotations

import asyncio
import socket
import time
import tracemalloc

import pytest

from app.domain import ChatMessage, ChatRequest, Done, Error, ProviderConfig, TextDelta, Usage
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.openai_compat import INCOMPLETE, OpenAICompatProvider
from tests.providers.fault_server import (
    FaultServer,
    chunks,
    closed_port,
    openai_chunk,
    sse,
    sse_event,
    stall_after_headers,
    status,
    text_stream,
)

CHAT = "/v1/chat/completions"
FAST = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=0.5, idle=0.5),
                       retry=RetryPolicy(attempts=3, backoff=0.01, max_wait=30.0))
# Tests whose subject is not a timeout: a pause of the test process itself (a
# full collection of its heap late in a run took longer than FAST's 0.5 s once)
# must not turn their fault into a timeout.
ROOMY = ProviderOptions(timeouts=Timeouts(connect=5.0, first_byte=10.0, idle=10.0),
                        retry=FAST.retry)
BOUND = 20.0  # seconds: no fault may make a run take longer than this


def run_chat(base_url: str, options: ProviderOptions = ROOMY) -> list:
    async def go() -> list:
        provider = OpenAICompatProvider(
            ProviderConfig(name="faulty", kind="llamacpp", base_url=base_url), options)
        request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])
        try:
            return [event async for event in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), BOUND))


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


def only_error(events: list) -> Error:
    errors = [e for e in events if isinstance(e, Error)]
    assert len(errors) == 1 and events[-1] is errors[0], events
    assert not any(isinstance(e, (Done, Usage)) for e in events)
    return errors[0]


def texts(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_refused_connection_is_unreachable_after_retries_with_backoff(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A refused connection leaves no trace on any server, so the attempts are
    # observed where they happen: each one is a real socket connect() to the
    # closed port (asyncio's create_connection calls it once per attempt).
    port = closed_port()
    attempts: list[float] = []
    real_connect = socket.socket.connect

    def counting_connect(sock: socket.socket, address) -> None:
        if isinstance(address, tuple) and address[1] == port:
            attempts.append(time.monotonic())
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    policy = RetryPolicy(attempts=3, backoff=0.2, max_wait=30.0)
    options = ProviderOptions(timeouts=FAST.timeouts, retry=policy)

    error = only_error(run_chat(f"http://127.0.0.1:{port}/v1", options))

    assert error.kind == "unreachable"
    assert error.retryable  # the runner may fall back to the next provider
    assert len(attempts) == policy.attempts  # retried, and then given up
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    # Exponential backoff: at least 0.2 s, then at least 0.4 s between tries
    # (lower bounds only: a loaded machine makes the gaps longer, never shorter).
    assert gaps[0] >= 0.9 * policy.backoff
    assert gaps[1] >= 0.9 * 2 * policy.backoff


def test_without_retries_a_refused_connection_is_tried_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    attempts: list[tuple] = []
    real_connect = socket.socket.connect

    def counting_connect(sock: socket.socket, address) -> None:
        if isinstance(address, tuple) and address[1] == port:
            attempts.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    options = ProviderOptions(timeouts=FAST.timeouts, retry=RetryPolicy(attempts=1))
    assert only_error(run_chat(f"http://127.0.0.1:{port}/v1", options)).kind == "unreachable"
    assert len(attempts) == 1


@pytest.mark.parametrize(("code", "kind"), [(500, "server"), (401, "auth"), (403, "auth")])
def test_error_status_is_classified_without_retry(server: FaultServer, code: int,
                                                  kind: str) -> None:
    server.route("POST", CHAT, status(code))
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == kind
    assert len(server.requests_to(CHAT)) == 1


def test_404_carries_the_servers_message(server: FaultServer) -> None:
    server.route("POST", CHAT, status(404, {"error": {"message": "model 'nope' not found",
                                                      "type": "invalid_request_error"}}))
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == "not_found"
    assert "model 'nope' not found" in error.message


def test_429_with_retry_after_is_honoured_then_the_reply_streams(server: FaultServer) -> None:
    server.route("POST", CHAT, status(429, headers={"Retry-After": "1"}),
                 text_stream(["after ", "waiting"]))
    events = run_chat(server.url + "/v1")
    assert texts(events) == "after waiting"
    assert isinstance(events[-1], Done)
    first, second = server.requests_to(CHAT)
    assert second.at - first.at >= 1.0


def test_429_with_a_long_retry_after_is_reported_without_waiting(server: FaultServer) -> None:
    server.route("POST", CHAT, status(429, headers={"Retry-After": "3600"}))
    error = only_error(run_chat(server.url + "/v1"))
    assert (error.kind, error.retry_after, error.retryable) == ("rate_limited", 3600, True)
    assert len(server.requests_to(CHAT)) == 1


def test_503_twice_then_success_is_retried(server: FaultServer) -> None:
    server.route("POST", CHAT, status(503), status(503), text_stream(["ok"]))
    events = run_chat(server.url + "/v1")
    assert texts(events) == "ok" and events[-1] == Done(stop_reason="stop")
    assert len(server.requests_to(CHAT)) == 3


def bad_gateway(ex) -> None:
    """A reverse proxy's 502 (nginx in front of a model server that is still
    starting): an HTML body, not JSON."""
    ex.send_body(502, b"<html><head><title>502 Bad Gateway</title></head><body>"
                      b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
                      b"</body></html>", {"Content-Type": "text/html"})


def test_502_before_the_first_token_is_retried_then_succeeds(server: FaultServer) -> None:
    server.route("POST", CHAT, bad_gateway, text_stream(["through ", "the proxy"]))
    events = run_chat(server.url + "/v1")
    assert texts(events) == "through the proxy"
    assert events[-1] == Done(stop_reason="stop")
    assert not any(isinstance(e, Error) for e in events)
    first, second = server.requests_to(CHAT)
    assert second.json == first.json  # the same request, sent again
    assert second.at - first.at >= 0.9 * FAST.retry.backoff


def test_502_every_time_is_a_retryable_server_error_after_all_attempts(
        server: FaultServer) -> None:
    server.route("POST", CHAT, bad_gateway)
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == "server" and error.retryable and "502" in error.message
    assert len(server.requests_to(CHAT)) == FAST.retry.attempts


@pytest.mark.parametrize("break_off", ["cut", "error-object"])
def test_once_tokens_arrived_nothing_is_retried_even_with_a_502_waiting(
        server: FaultServer, break_off: str) -> None:
    # The first reply shows tokens, then breaks (the connection is cut, or the
    # proxy's 502 arrives as an error object in the stream). A re-sent
    # request would get a 502 and then a full reply: neither may be asked for.
    if break_off == "cut":
        first = sse([openai_chunk("Hello"), openai_chunk(" wor")], done=False, then="cut")
    else:
        first = sse([openai_chunk("Hello"), openai_chunk(" wor"),
                     {"error": {"message": "Bad Gateway", "type": "server_error",
                                "code": 502}}])
    server.route("POST", CHAT, first, bad_gateway, text_stream(["resent!"]))
    events = run_chat(server.url + "/v1")
    error = only_error(events)
    assert not error.retryable  # the runner must not fall back either
    assert error.kind == ("protocol" if break_off == "cut" else "server")
    assert texts(events) == "Hello wor"
    assert len(server.requests_to(CHAT)) == 1


def test_503_more_often_than_the_attempts_is_a_server_error(server: FaultServer) -> None:
    server.route("POST", CHAT, status(503))
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == "server" and error.retryable
    assert len(server.requests_to(CHAT)) == FAST.retry.attempts


def test_stall_after_headers_times_out_on_the_first_byte(server: FaultServer) -> None:
    server.route("POST", CHAT, stall_after_headers(30))
    error = only_error(run_chat(server.url + "/v1", FAST))
    assert error.kind == "timeout"
    assert len(server.requests_to(CHAT)) == 1


def test_stall_mid_stream_times_out_and_keeps_the_text(server: FaultServer) -> None:
    server.route("POST", CHAT, chunks([sse_event(openai_chunk("Hello")),
                                       sse_event(openai_chunk(" there"))], then="stall"))
    events = run_chat(server.url + "/v1", FAST)
    assert only_error(events).kind == "timeout"
    assert texts(events) == "Hello there"


def test_stream_cut_mid_way_is_protocol_and_never_resent(server: FaultServer) -> None:
    # A second handler that would answer if the provider re-sent the request.
    server.route("POST", CHAT,
                 sse([openai_chunk("Hello"), openai_chunk(" wor")], done=False, then="cut"),
                 text_stream(["resent!"]))
    events = run_chat(server.url + "/v1")
    assert only_error(events).kind == "protocol"
    assert texts(events) == "Hello wor"
    assert len(server.requests_to(CHAT)) == 1


def test_no_retry_after_a_token_even_for_retryable_kinds(server: FaultServer) -> None:
    # The stream breaks with a rate-limit error object after a token arrived.
    server.route("POST", CHAT,
                 sse([openai_chunk("partial"),
                      {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}]),
                 text_stream(["resent!"]))
    events = run_chat(server.url + "/v1")
    error = only_error(events)
    assert error.kind == "rate_limited" and not error.retryable
    assert texts(events) == "partial"
    assert len(server.requests_to(CHAT)) == 1


def test_clean_end_without_done_or_finish_reason_is_incomplete(server: FaultServer) -> None:
    server.route("POST", CHAT, sse([openai_chunk("Hel"), openai_chunk("lo")], done=False))
    events = run_chat(server.url + "/v1")
    error = only_error(events)
    assert error.kind == "protocol" and INCOMPLETE in error.message
    assert texts(events) == "Hello"


def test_done_without_a_finish_reason_is_incomplete(server: FaultServer) -> None:
    # What llama-cpp-python sends when a newer request interrupts a stream.
    server.route("POST", CHAT, sse([openai_chunk(role="assistant", content="")], done=True))
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == "protocol" and INCOMPLETE in error.message
    assert error.retryable  # no token was shown: another provider may answer


def test_malformed_json_line_is_protocol(server: FaultServer) -> None:
    server.route("POST", CHAT, chunks([sse_event(openai_chunk("ok")),
                                       b'data: {"choices": [{"delta": {"content": "x"\n\n']))
    events = run_chat(server.url + "/v1")
    assert only_error(events).kind == "protocol"
    assert texts(events) == "ok"


def test_invalid_utf8_is_protocol(server: FaultServer) -> None:
    bad = b'data: {"choices": [{"index": 0, "delta": {"content": "\xff\xfe"}}]}\n\n'
    server.route("POST", CHAT, chunks([sse_event(openai_chunk("fine")), bad]))
    events = run_chat(server.url + "/v1")
    error = only_error(events)
    assert error.kind == "protocol" and "UTF-8" in error.message


def test_a_10_mb_line_is_refused_with_bounded_memory(server: FaultServer) -> None:
    piece = b"x" * 65536  # sent 160 times: the server itself holds only 64 KB
    steps = [b'data: {"choices": [{"delta": {"content": "'] + [piece] * 160
    server.route("POST", CHAT, chunks(steps, then="end"))
    limit = 1024 * 1024
    options = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                              retry=FAST.retry, max_line_bytes=limit)
    tracemalloc.start()
    try:
        events = run_chat(server.url + "/v1", options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error = only_error(events)
    assert error.kind == "protocol" and "longer than" in error.message
    assert peak < 4 * limit  # the whole 10 MB line was never held


def test_error_object_inside_the_stream_before_tokens(server: FaultServer) -> None:
    server.route("POST", CHAT, sse([{"error": {"message": "the model crashed",
                                               "type": "server_error", "code": 500}}]))
    error = only_error(run_chat(server.url + "/v1"))
    assert error.kind == "server" and "the model crashed" in error.message
    assert error.retryable  # nothing was shown yet: falling back is safe


def test_cancel_closes_the_http_stream_at_once(server: FaultServer) -> None:
    slow = [openai_chunk(f"w{i} ") for i in range(200)]
    server.route("POST", CHAT, sse(slow, delay=0.05))

    async def go() -> tuple[list, float]:
        provider = OpenAICompatProvider(
            ProviderConfig(name="slow", kind="llamacpp", base_url=server.url + "/v1"), FAST)
        request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])
        stream = provider.stream_chat(request)
        first = await anext(stream)
        await stream.aclose()
        closed_at = time.monotonic()
        while not server.disconnected and time.monotonic() - closed_at < 5:
            await asyncio.sleep(0.02)
        await provider.aclose()
        return [first], closed_at

    events, _ = asyncio.run(asyncio.wait_for(go(), BOUND))
    assert events == [TextDelta(text="w0 ")]
    assert len(server.disconnected) == 1  # the server's next write failed


def test_task_cancel_closes_the_http_stream(server: FaultServer) -> None:
    slow = [openai_chunk(f"w{i} ") for i in range(200)]
    server.route("POST", CHAT, sse(slow, delay=0.05))
    seen: list = []

    async def consume(provider: OpenAICompatProvider) -> None:
        request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])
        async for event in provider.stream_chat(request):
            seen.append(event)

    async def go() -> None:
        provider = OpenAICompatProvider(
            ProviderConfig(name="slow", kind="llamacpp", base_url=server.url + "/v1"), FAST)
        task = asyncio.create_task(consume(provider))
        while not seen:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 5
        while not server.disconnected and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await provider.aclose()

    asyncio.run(asyncio.wait_for(go(), BOUND))
    assert seen and all(isinstance(e, TextDelta) for e in seen)
    assert len(seen) < 200
    assert len(server.disconnected) == 1


def test_the_idle_timeout_replaces_the_longer_first_byte_timeout(server: FaultServer) -> None:
    # A 5 s first-byte allowance must not carry over once the reply started:
    # a stall after the first chunk is cut off by the 0.3 s idle timeout.
    server.route("POST", CHAT, chunks([sse_event(openai_chunk("Hello"))], then="stall"))
    options = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=0.3),
                              retry=FAST.retry)
    started = time.monotonic()
    events = run_chat(server.url + "/v1", options)
    elapsed = time.monotonic() - started
    error = only_error(events)
    assert error.kind == "timeout" and "middle of the reply" in error.message
    assert texts(events) == "Hello"
    assert elapsed < 3.0  # far below the 5 s first-byte timeout


def test_a_slow_consumer_is_not_an_idle_server(server: FaultServer) -> None:
    # The server sends everything at once; the consumer takes longer than the
    # idle timeout over each event. Only time spent waiting for the server
    # counts, so nothing times out.
    server.route("POST", CHAT, text_stream(["one ", "two ", "three"]))
    options = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=2.0, idle=0.2),
                              retry=FAST.retry)

    async def go() -> list:
        provider = OpenAICompatProvider(
            ProviderConfig(name="slow-reader", kind="llamacpp", base_url=server.url + "/v1"),
            options)
        request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])
        seen = []
        try:
            async for event in provider.stream_chat(request):
                seen.append(event)
                await asyncio.sleep(0.35)  # longer than the idle timeout
        finally:
            await provider.aclose()
        return seen

    events = asyncio.run(asyncio.wait_for(go(), BOUND))
    assert texts(events) == "one two three"
    assert events[-1] == Done(stop_reason="stop")
