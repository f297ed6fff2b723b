"""Malformed stream chunks (issue 15, item 9): a field of the wrong type ends
the reply with one typed ``protocol`` Error naming the bad chunk — never a
raw TypeError/AttributeError out of the parser, never silently skipped —
and the text before it is kept. For the OpenAI-compatible parser (over a
real HTTP server and in the embedded engine, which shares it) and Ollama's."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import ChatMessage, ChatRequest, Done, Error, ProviderConfig, TextDelta
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.providers.ollama import OllamaProvider
from app.providers.openai_compat import OpenAICompatProvider
from tests.providers.embedded_helpers import ask, collect, scripted_provider
from tests.providers.fault_server import FaultServer, ndjson, openai_chunk, sse
from tests.providers.hostile_handlers import OLLAMA_DONE, ollama_message

OPTIONS = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=5.0, idle=5.0),
                          retry=RetryPolicy(attempts=1))


def _call(**function) -> dict:
    return {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": "c1", "type": "function", "function": function}]}}]}


OPENAI_SHAPES = {
    "choices is a string": {"choices": "str"},
    "choices holds null": {"choices": [None]},
    "usage is a string": {"usage": "x"},
    "numeric function name": _call(name=7, arguments="{}"),
    "choices is a number": {"choices": 5},
    "delta is a string": {"choices": [{"index": 0, "delta": "str"}]},
    "tool_calls is an object": {"choices": [{"index": 0, "delta": {"tool_calls": {"a": 1}}}]},
    "tool call is null": {"choices": [{"index": 0, "delta": {"tool_calls": [None]}}]},
    "function is a string": {"choices": [{"index": 0, "delta": {
        "tool_calls": [{"index": 0, "function": "write_file"}]}}]},
    "tool call index is a list": {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": [0], "function": {"name": "a"}}]}}]},
    "numeric call id": {"choices": [{"index": 0, "delta": {"tool_calls": [
        {"index": 0, "id": 5, "function": {"name": "a", "arguments": "{}"}}]}}]},
    "finish_reason is a number": {"choices": [{"index": 0, "delta": {}, "finish_reason": 3}]},
}

OLLAMA_SHAPES = {
    "message is a string": {"message": "str", "done": False},
    "tool_calls is a string": {"message": {"role": "assistant", "tool_calls": "str"}},
    "tool_calls is a number": {"message": {"role": "assistant", "tool_calls": 5}},
    "tool call is null": {"message": {"role": "assistant", "tool_calls": [None]}},
    "numeric function name": {"message": {"role": "assistant", "tool_calls": [
        {"function": {"name": 7, "arguments": {}}}]}},
    "function is a string": {"message": {"role": "assistant", "tool_calls": [
        {"function": "write_file"}]}},
    "numeric call id": {"message": {"role": "assistant", "tool_calls": [
        {"id": [1], "function": {"name": "a", "arguments": {}}}]}},
}


def malformed_error(events: list) -> Error:
    assert events and isinstance(events[-1], Error), events[-3:]
    assert not any(isinstance(e, Done) for e in events)
    error = events[-1]
    assert error.kind == "protocol" and "malformed stream chunk" in error.message, error
    return error


def text_of(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def _run(provider) -> list:
    async def go() -> list:
        request = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])
        try:
            return [event async for event in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    return asyncio.run(asyncio.wait_for(go(), 20.0))


@pytest.fixture()
def server():
    with FaultServer() as srv:
        yield srv


@pytest.mark.parametrize("shape", OPENAI_SHAPES.values(), ids=OPENAI_SHAPES.keys())
def test_openai_compatible_malformed_chunk_is_a_typed_protocol_error(server, shape) -> None:
    server.route("POST", "/v1/chat/completions", sse([
        openai_chunk(role="assistant", content="Before "), shape,
        openai_chunk("after"), openai_chunk(finish_reason="stop")]))
    provider = OpenAICompatProvider(ProviderConfig(name="odd", kind="llamacpp",
                                                   base_url=f"{server.url}/v1"), OPTIONS)

    events = _run(provider)

    malformed_error(events)
    assert text_of(events) == "Before "          # what came first is kept, nothing after


@pytest.mark.parametrize("shape", OLLAMA_SHAPES.values(), ids=OLLAMA_SHAPES.keys())
def test_ollama_malformed_chunk_is_a_typed_protocol_error(server, shape) -> None:
    server.route("POST", "/api/chat", ndjson([ollama_message("Before "), shape,
                                              ollama_message("after"), OLLAMA_DONE]))
    provider = OllamaProvider(ProviderConfig(name="odd", kind="ollama", base_url=server.url),
                              OPTIONS)

    events = _run(provider)

    malformed_error(events)
    assert text_of(events) == "Before "


@pytest.mark.parametrize("name", ["choices is a string", "numeric function name",
                                  "usage is a string"])
def test_embedded_engine_malformed_chunk_is_a_typed_protocol_error(monkeypatch, tmp_path,
                                                                   name) -> None:
    script = [openai_chunk(role="assistant", content="Before "), OPENAI_SHAPES[name],
              openai_chunk("after"), openai_chunk(finish_reason="stop")]
    provider = scripted_provider(monkeypatch, tmp_path, script)

    events = asyncio.run(collect(provider, ask()))

    malformed_error(events)
    assert text_of(events) == "Before "


def test_well_formed_nulls_are_not_malformed(server) -> None:
    """What real servers send: ``usage: null`` on every chunk, ``content:
    null`` beside tool calls, ``choices: []`` with the final usage."""
    chunks = [openai_chunk(role="assistant", content="Hi") | {"usage": None},
              {"choices": [{"index": 0, "delta": {"content": None, "tool_calls": None},
                            "finish_reason": None}], "usage": None},
              openai_chunk(finish_reason="stop"),
              openai_chunk(no_choices=True, usage={"prompt_tokens": 3, "completion_tokens": 1})]
    server.route("POST", "/v1/chat/completions", sse(chunks))
    provider = OpenAICompatProvider(ProviderConfig(name="ok", kind="llamacpp",
                                                   base_url=f"{server.url}/v1"), OPTIONS)

    events = _run(provider)

    assert isinstance(events[-1], Done) and text_of(events) == "Hi"
