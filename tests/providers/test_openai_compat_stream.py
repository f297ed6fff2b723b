"""The OpenAI-compatible provider's translation of the wire format, against
an in-test server speaking OpenAI's SSE format exactly: request shape,
thinking, tool-call fragments, usage, non-streaming, model list, probe."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    ProviderConfig,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallRecord,
    ToolSpec,
    Usage,
)
from app.providers.base import ProviderError, ProviderOptions, RetryPolicy, Timeouts
from app.providers.openai_chunks import ThinkSplitter
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.fault_server import (
    FaultServer,
    json_reply,
    openai_chunk,
    sse,
    status,
    text_stream,
)

CHAT = "/v1/chat/completions"
OPTIONS = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=2, backoff=0.01))


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


def provider_for(server: FaultServer, api_key: str | None = None) -> OpenAICompatProvider:
    return OpenAICompatProvider(
        ProviderConfig(name="compat", kind="openai", base_url=server.url + "/v1"),
        OPTIONS, api_key=api_key)


def chat(server: FaultServer, request: ChatRequest | None = None,
         api_key: str | None = None) -> list:
    request = request or ChatRequest(model="m", messages=[ChatMessage(role="user",
                                                                      content="hi")])

    async def go() -> list:
        provider = provider_for(server, api_key)
        try:
            return [e async for e in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), 20))


def joined(events: list, kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def test_request_body_is_openai_shaped(server: FaultServer) -> None:
    server.route("POST", CHAT, text_stream(["ok"]))
    request = ChatRequest(
        model="gpt-test", temperature=0.2, max_tokens=7, tool_choice="lookup",
        tools=[ToolSpec(name="lookup", description="find",
                        parameters={"type": "object", "properties": {"q": {"type": "string"}}})],
        messages=[
            ChatMessage(role="system", content="be brief"),
            ChatMessage(role="user", content="find cats"),
            ChatMessage(role="assistant", tool_calls=[
                ToolCallRecord(call_id="c1", name="lookup", arguments={"q": "cats"})]),
            ChatMessage(role="tool", tool_call_id="c1", name="lookup", content="3 cats"),
        ])
    chat(server, request, api_key="sk-secret")
    (sent,) = server.requests_to(CHAT)
    body = sent.json
    assert sent.headers["Authorization"] == "Bearer sk-secret"
    assert body["model"] == "gpt-test" and body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["max_tokens"]) == (0.2, 7)
    assert body["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert body["tools"][0]["type"] == "function"
    assert body["tools"][0]["function"]["name"] == "lookup"
    assistant, tool = body["messages"][2], body["messages"][3]
    assert assistant["tool_calls"][0]["id"] == "c1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"q": "cats"}
    assert tool == {"role": "tool", "tool_call_id": "c1", "content": "3 cats"}


@pytest.mark.parametrize("choice", ["auto", "none", "required"])
def test_plain_tool_choices_pass_through(server: FaultServer, choice: str) -> None:
    server.route("POST", CHAT, text_stream(["ok"]))
    chat(server, ChatRequest(model="m", tool_choice=choice, tools=[ToolSpec(name="t")],
                             messages=[ChatMessage(role="user", content="x")]))
    assert server.requests_to(CHAT)[0].json["tool_choice"] == choice


def test_no_key_sends_no_authorization(server: FaultServer) -> None:
    server.route("POST", CHAT, text_stream(["ok"]))
    chat(server)
    assert "Authorization" not in server.requests_to(CHAT)[0].headers


def test_think_tags_split_across_chunks_become_thinking(server: FaultServer) -> None:
    parts = ["Hi <thi", "nk>secret", " plan</th", "ink> answer <", "b>"]
    server.route("POST", CHAT, text_stream(parts))
    events = chat(server)
    assert joined(events, ThinkingDelta) == "secret plan"
    assert joined(events, TextDelta) == "Hi  answer <b>"
    assert isinstance(events[-1], Done)


def test_reasoning_content_and_reasoning_are_thinking(server: FaultServer) -> None:
    server.route("POST", CHAT, sse([
        openai_chunk(reasoning="step one, "),
        {"choices": [{"index": 0, "delta": {"reasoning": "step two"}}]},
        openai_chunk("answer"), openai_chunk(finish_reason="stop")]))
    events = chat(server)
    assert joined(events, ThinkingDelta) == "step one, step two"
    assert joined(events, TextDelta) == "answer"


def test_think_splitter_holds_back_only_a_possible_tag() -> None:
    splitter = ThinkSplitter()
    events = splitter.feed("a < b <th") + splitter.feed("ey") + splitter.flush()
    assert "".join(e.text for e in events) == "a < b <they"
    assert all(isinstance(e, TextDelta) for e in events)


def test_parallel_tool_call_fragments_are_assembled(server: FaultServer) -> None:
    def frag(index: int, args: str, call_id: str | None = None,
             name: str | None = None) -> dict:
        fragment: dict = {"index": index, "function": {"arguments": args}}
        if call_id:
            fragment.update(id=call_id, type="function")
            fragment["function"]["name"] = name
        return fragment

    fragments = [frag(0, "", "call_a", "get_weather"), frag(1, "", "call_b", "get_time"),
                 frag(0, '{"ci'), frag(1, '{"zone": '), frag(0, 'ty": "Par'),
                 frag(1, '"UTC"}'), frag(0, 'is"}')]
    server.route("POST", CHAT, sse([openai_chunk(tool_calls=[f]) for f in fragments]
                                   + [openai_chunk(finish_reason="tool_calls")]))
    events = chat(server)
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls == [ToolCall(call_id="call_a", name="get_weather", arguments={"city": "Paris"}),
                     ToolCall(call_id="call_b", name="get_time", arguments={"zone": "UTC"})]
    assert isinstance(events[-2], Usage) and events[-1] == Done(stop_reason="tool_calls")


def test_invalid_tool_arguments_are_kept_raw(server: FaultServer) -> None:
    server.route("POST", CHAT, sse([
        openai_chunk(tool_calls=[{"index": 0, "id": "c", "type": "function",
                                  "function": {"name": "f", "arguments": "{city: Paris"}}]),
        openai_chunk(finish_reason="tool_calls")]))
    (call,) = [e for e in chat(server) if isinstance(e, ToolCall)]
    assert call.arguments == "{city: Paris"


def test_server_usage_is_reported_once_before_done(server: FaultServer) -> None:
    usage = {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13}
    server.route("POST", CHAT, text_stream(["a", "b"], usage=usage))
    events = chat(server)
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(usages) == 1 and events[-2] is usages[0]
    assert (usages[0].prompt_tokens, usages[0].completion_tokens) == (11, 2)
    assert usages[0].ttft_ms is not None and usages[0].ttft_ms > 0


def test_usage_is_computed_when_the_server_sends_none(server: FaultServer) -> None:
    server.route("POST", CHAT, text_stream(["one", " two", " three"], delay=0.02))
    events = chat(server)
    (usage,) = [e for e in events if isinstance(e, Usage)]
    assert usage.prompt_tokens is None
    assert usage.completion_tokens == 3  # one per content chunk
    assert usage.ttft_ms > 0 and usage.tokens_per_s > 0


def test_finish_reason_length(server: FaultServer) -> None:
    server.route("POST", CHAT, text_stream(["cut"], finish_reason="length"))
    assert chat(server)[-1] == Done(stop_reason="length")


def test_non_streaming_reply_yields_the_same_sequence(server: FaultServer) -> None:
    server.route("POST", CHAT, json_reply({
        "id": "x", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant",
                                 "content": "<think>hmm</think>Paris.",
                                 "reasoning_content": None}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}))
    events = chat(server, ChatRequest(model="m", stream=False,
                                      messages=[ChatMessage(role="user", content="?")]))
    assert "stream" in server.requests_to(CHAT)[0].json
    assert server.requests_to(CHAT)[0].json["stream"] is False
    assert [type(e) for e in events] == [ThinkingDelta, TextDelta, Usage, Done]
    assert joined(events, TextDelta) == "Paris."
    assert events[2].completion_tokens == 3 and events[3].stop_reason == "stop"


def test_non_streaming_tool_calls(server: FaultServer) -> None:
    server.route("POST", CHAT, json_reply({"choices": [{
        "index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c9", "type": "function",
             "function": {"name": "f", "arguments": "{\"x\": 1}"}}]}}]}))
    events = chat(server, ChatRequest(model="m", stream=False,
                                      messages=[ChatMessage(role="user", content="?")]))
    assert events[0] == ToolCall(call_id="c9", name="f", arguments={"x": 1})
    assert events[-1] == Done(stop_reason="tool_calls")


def test_non_streaming_error_body_is_an_error_event(server: FaultServer) -> None:
    server.route("POST", CHAT, status(400, {"error": {
        "message": "This model's maximum context length is 8192 tokens",
        "code": "context_length_exceeded"}}))
    events = chat(server, ChatRequest(model="m", stream=False,
                                      messages=[ChatMessage(role="user", content="?")]))
    assert [type(e) for e in events] == [Error]
    assert events[0].kind == "context_length"


def test_list_models_and_probe(server: FaultServer) -> None:
    models = {"object": "list", "data": [
        {"id": "gpt-a", "object": "model", "created": 1, "owned_by": "me"},
        {"id": "vllm-b", "object": "model", "max_model_len": 32768}]}
    server.route("GET", "/v1/models", json_reply(models, headers={"X-Server-Version": "9.1"}))

    async def go():
        provider = provider_for(server, api_key="k")
        try:
            return await provider.list_models(), await provider.probe()
        finally:
            await provider.aclose()

    listed, probe = asyncio.run(go())
    assert [(m.provider, m.id, m.context_length) for m in listed] == [
        ("compat", "gpt-a", None), ("compat", "vllm-b", 32768)]
    assert (probe.model_count, probe.auth_ok, probe.version) == (2, True, "9.1")
    assert server.requests_to("/v1/models")[0].headers["Authorization"] == "Bearer k"


def test_probe_with_a_refused_key_raises_auth(server: FaultServer) -> None:
    server.route("GET", "/v1/models", status(401, {"error": {"message": "Incorrect API key"}}))

    async def go():
        provider = provider_for(server, api_key="bad")
        try:
            await provider.probe()
        finally:
            await provider.aclose()

    with pytest.raises(ProviderError) as caught:
        asyncio.run(go())
    assert caught.value.kind == "auth" and "Incorrect API key" in caught.value.message


def test_a_complete_stream_leaves_the_connection_reusable(server: FaultServer) -> None:
    server.route("POST", CHAT, text_stream(["one"]))
    request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])

    async def go() -> list[list]:
        provider = provider_for(server)
        try:
            return [[e async for e in provider.stream_chat(request)] for _ in range(3)]
        finally:
            await provider.aclose()

    replies = asyncio.run(asyncio.wait_for(go(), 20))
    assert all(isinstance(events[-1], Done) for events in replies)
    ports = {r.client_port for r in server.requests_to(CHAT)}
    assert len(ports) == 1  # one TCP connection served all three replies
