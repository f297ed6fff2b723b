"""One OpenAI-style chunk parser for both providers: the same chunk sequences
go through the OpenAI-compatible provider (served as SSE, or as one JSON body
when not streaming, by the in-test server) and through the embedded provider
(yielded by a scripted stand-in for llama.cpp's ``create_chat_completion``),
and both must give the same run events — the ones written in the table.

Shapes as OpenAI and llama-cpp-python send them (``llama_types``:
``delta`` with content / tool_calls / the deprecated function_call, a whole
reply's ``message``, ``finish_reason``); ``reasoning_content`` as vLLM and
llama.cpp's server send it; the usage-only last chunk of
``stream_options.include_usage``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    ProviderConfig,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.embedded_helpers import scripted_provider
from tests.providers.fault_server import FaultServer, json_reply, sse

CHAT = "/v1/chat/completions"
OPTIONS = ProviderOptions(timeouts=Timeouts(connect=1.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1, backoff=0.01))


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None) -> dict:
    """A chat.completion.chunk with one choice carrying ``delta``."""
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
            "model": "m", "choices": [{"index": 0, "delta": delta or {},
                                       "logprobs": None, "finish_reason": finish}]}


def fragment(index: int, arguments: str, call_id: str | None = None,
             name: str | None = None) -> dict:
    """One tool-call fragment; the first of each call carries id and name."""
    function: dict[str, Any] = {"arguments": arguments}
    part: dict[str, Any] = {"index": index, "function": function}
    if call_id:
        part.update(id=call_id, type="function")
        function["name"] = name
    return part


def forced_tool_chunk(arguments: str) -> dict:
    """llama-cpp-python's forced-tool stream: the same piece as both the
    deprecated function_call and a tool_calls fragment (name in each)."""
    return chunk({"role": None, "content": None,
                  "function_call": {"name": "lookup", "arguments": arguments},
                  "tool_calls": [{"index": 0, "id": "call__0_lookup_cmpl-1", "type": "function",
                                  "function": {"name": "lookup", "arguments": arguments}}]})


@dataclass
class Case:
    name: str
    chunks: list[dict]
    expected: list[Any]  # the events before Usage and Done
    stop: str
    tokens: tuple[int | None, int | None]  # Usage (prompt, completion)
    streamed: bool = True  # False: one whole reply (``message``), request.stream=False


CASES = [
    Case("delta_text",
         [chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}),
          chunk({"content": "lo"}), chunk(finish="stop")],
         [TextDelta(text="Hel"), TextDelta(text="lo")], "stop", (None, 2)),
    Case("reasoning_content",
         [chunk({"role": "assistant", "reasoning_content": "Let me"}),
          chunk({"reasoning_content": " think."}), chunk({"reasoning": " Still."}),
          chunk({"content": "Hi"}), chunk(finish="stop")],
         [ThinkingDelta(text="Let me"), ThinkingDelta(text=" think."),
          ThinkingDelta(text=" Still."), TextDelta(text="Hi")], "stop", (None, 4)),
    Case("think_tags_across_chunks",
         [chunk({"content": "<thi"}), chunk({"content": "nk>plan</th"}),
          chunk({"content": "ink>Paris"}), chunk(finish="stop")],
         [ThinkingDelta(text="plan"), TextDelta(text="Paris")], "stop", (None, 3)),
    Case("tool_call_fragments_several_indices",
         [chunk({"role": "assistant", "content": None,
                 "tool_calls": [fragment(0, "", "call_a", "get_weather")]}),
          chunk({"tool_calls": [fragment(1, "", "call_b", "get_time")]}),
          chunk({"tool_calls": [fragment(0, '{"ci')]}),
          chunk({"tool_calls": [fragment(1, '{"zone": ')]}),
          chunk({"tool_calls": [fragment(0, 'ty": "Par'), fragment(1, '"UTC"}')]}),
          chunk({"tool_calls": [fragment(0, 'is"}')]}),
          chunk(finish="tool_calls")],
         [ToolCall(call_id="call_a", name="get_weather", arguments={"city": "Paris"}),
          ToolCall(call_id="call_b", name="get_time", arguments={"zone": "UTC"})],
         "tool_calls", (None, 6)),
    Case("legacy_function_call",
         [chunk({"role": "assistant", "content": None,
                 "function_call": {"name": "get_time", "arguments": ""}}),
          chunk({"function_call": {"arguments": '{"zone":'}}),
          chunk({"function_call": {"arguments": ' "UTC"}'}}),
          chunk(finish="function_call")],
         [ToolCall(call_id="call_0", name="get_time", arguments={"zone": "UTC"})],
         "tool_calls", (None, 3)),
    Case("llama_cpp_forced_tool_both_shapes",
         [chunk({"role": "assistant", "content": None, "function_call": None,
                 "tool_calls": None}),
          forced_tool_chunk('{"q": '), forced_tool_chunk('"cats"}'), chunk(finish="tool_calls")],
         [ToolCall(call_id="call__0_lookup_cmpl-1", name="lookup", arguments={"q": "cats"})],
         "tool_calls", (None, 2)),
    Case("whole_message_not_streamed",
         [{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
           "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": None,
                        "message": {"role": "assistant", "reasoning_content": "Need data.",
                                    "content": "Looking it up.",
                                    "tool_calls": [
                                        {"id": "c1", "type": "function",
                                         "function": {"name": "f", "arguments": '{"x": 1}'}},
                                        {"id": "c2", "type": "function",
                                         "function": {"name": "g", "arguments": ""}}]}}],
           "usage": {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}}],
         [ThinkingDelta(text="Need data."), TextDelta(text="Looking it up."),
          ToolCall(call_id="c1", name="f", arguments={"x": 1}),
          ToolCall(call_id="c2", name="g", arguments={})],
         "tool_calls", (12, 9), streamed=False),
    Case("finish_length",
         [chunk({"content": "cut"}), chunk({"content": " short"}), chunk(finish="length")],
         [TextDelta(text="cut"), TextDelta(text=" short")], "length", (None, 2)),
    Case("finish_stop_after_a_tool_call",
         [chunk({"tool_calls": [fragment(0, "{}", "c7", "ping")]}), chunk(finish="stop")],
         [ToolCall(call_id="c7", name="ping", arguments={})], "tool_calls", (None, 1)),
    Case("usage_only_final_chunk",
         [chunk({"content": "a"}), chunk({"content": "b"}), chunk(finish="stop"),
          {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
           "model": "m", "choices": [],
           "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}}],
         [TextDelta(text="a"), TextDelta(text="b")], "stop", (9, 2)),
    Case("invalid_json_arguments_kept_raw",
         [chunk({"tool_calls": [fragment(0, "{city: ", "c", "f")]}),
          chunk({"tool_calls": [fragment(0, "Paris")]}), chunk(finish="tool_calls")],
         [ToolCall(call_id="c", name="f", arguments="{city: Paris")], "tool_calls", (None, 2)),
]


def request(streamed: bool = True) -> ChatRequest:
    return ChatRequest(model="m", stream=streamed,
                       messages=[ChatMessage(role="user", content="hi")])


def compat_events(server: FaultServer, *replies: Case) -> list[list]:
    """Each case's reply from one OpenAI-compatible provider, in turn."""
    server.route("POST", CHAT, *[sse(c.chunks) if c.streamed else json_reply(c.chunks[0])
                                 for c in replies])
    provider = OpenAICompatProvider(
        ProviderConfig(name="compat", kind="openai", base_url=server.url + "/v1"), OPTIONS)
    return asyncio.run(asyncio.wait_for(_replies(provider, replies), 20))


def embedded_events(monkeypatch, tmp_path, *replies: Case) -> list[list]:
    """Each case's reply from one embedded provider, its engine yielding the chunks."""
    provider = scripted_provider(monkeypatch, tmp_path, *[c.chunks for c in replies])
    return asyncio.run(asyncio.wait_for(_replies(provider, replies), 20))


async def _replies(provider, replies: tuple[Case, ...]) -> list[list]:
    try:
        return [[e async for e in provider.stream_chat(request(c.streamed))] for c in replies]
    finally:
        await provider.aclose()


def comparable(events: list) -> list[dict]:
    """Events without the timing fields of Usage (time to first token, rate)."""
    return [e.model_dump(exclude={"ttft_ms", "tokens_per_s"} if isinstance(e, Usage) else None)
            for e in events]


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_both_providers_give_the_same_events(case: Case, server, monkeypatch, tmp_path) -> None:
    [compat] = compat_events(server, case)
    [embedded] = embedded_events(monkeypatch, tmp_path, case)

    prompt, completion = case.tokens
    expected = [*case.expected, Usage(prompt_tokens=prompt, completion_tokens=completion),
                Done(stop_reason=case.stop)]
    assert comparable(compat) == comparable(expected)
    assert comparable(embedded) == comparable(compat)


def test_embedded_reasoning_content_is_thinking(monkeypatch, tmp_path) -> None:
    """The embedded engine used to drop ``reasoning_content`` (its own parser
    read only ``content``); a reasoning model's thinking now shows."""
    [events] = embedded_events(monkeypatch, tmp_path, CASES[1])
    thinking = [e.text for e in events if isinstance(e, ThinkingDelta)]
    assert "".join(thinking) == "Let me think. Still."
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hi"]


def test_one_provider_several_replies_keeps_no_state(server, monkeypatch, tmp_path) -> None:
    """A tool-call reply, then plain text, then a whole reply, from one provider
    object each: no call, thinking or usage carries over to the next reply."""
    by_name = {c.name: c for c in CASES}
    turns = (by_name["tool_call_fragments_several_indices"], by_name["delta_text"],
             by_name["whole_message_not_streamed"], by_name["delta_text"])
    compat = compat_events(server, *turns)
    embedded = embedded_events(monkeypatch, tmp_path, *turns)

    assert [comparable(r) for r in embedded] == [comparable(r) for r in compat]
    assert [r[-1].stop_reason for r in compat] == ["tool_calls", "stop", "tool_calls", "stop"]
    assert compat[3] and not any(isinstance(e, ToolCall) for e in compat[3])
    assert [r[-2].completion_tokens for r in compat] == [6, 2, 9, 2]
