"""The embedded provider through the REAL llama.cpp engine and Gemma 3 270M.

The model is loaded once for this module (``keeper``); each test's provider
shares that engine. The model is tiny: assertions are about protocol and
behaviour, never wording.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import llama_cpp
import pytest

from app.domain import ChatMessage, Done, TextDelta, ToolSpec, Usage
from app.providers.embedded import EmbeddedProvider
from app.providers.embedded_engine import loaded_engine
from tests.providers.embedded_helpers import ask, collect, generation_threads, provider_for
from tests.support.llama_server import gemma_model_path


@pytest.fixture(scope="module")
def gemma_path() -> Path:
    return gemma_model_path()


@pytest.fixture(scope="module")
def keeper(gemma_path: Path):
    """Holds the loaded model for the whole module."""
    provider = provider_for(gemma_path)
    asyncio.run(provider.load())
    yield provider
    asyncio.run(provider.aclose())


@pytest.fixture
def provider(keeper: EmbeddedProvider, gemma_path: Path):
    fresh = provider_for(gemma_path)
    yield fresh
    asyncio.run(fresh.aclose())


def run(coro):
    return asyncio.run(coro)


def test_model_list_describes_the_gguf_file(provider, keeper, gemma_path):
    [info] = run(provider.list_models())
    metadata = keeper.engine.llama.metadata  # llama.cpp's own reading of the header

    assert info.id == gemma_path.stem
    assert info.size_bytes == gemma_path.stat().st_size
    assert info.family == metadata["general.architecture"] == "gemma3"
    assert info.context_length == int(metadata["gemma3.context_length"])
    assert info.quantization and info.quantization.lower() in gemma_path.stem
    assert info.loaded is True
    other_size = provider_for(gemma_path, n_ctx=256)
    assert run(other_size.list_models())[0].loaded is False  # listing never loads


def test_probe_reports_engine_version_without_loading(gemma_path):
    prober = provider_for(gemma_path, n_ctx=320)
    result = run(prober.probe())
    assert result.version == llama_cpp.__version__
    assert result.model_count == 1
    assert loaded_engine(gemma_path.resolve(), 320) is None


def test_streamed_reply_is_text_then_one_usage_then_done(provider, keeper):
    request = ask(max_tokens=12, temperature=0.0)
    events = run(collect(provider, request))

    types = [e.type for e in events]
    assert types[-2:] == ["usage", "done"]
    assert types.count("usage") == 1 and types.count("done") == 1
    assert set(types[:-2]) == {"token"}
    usage: Usage = events[-2]
    assert usage.completion_tokens == len(types) - 2
    assert usage.ttft_ms is not None and usage.ttft_ms > 0
    assert usage.tokens_per_s is not None and usage.tokens_per_s > 0
    # The prompt count agrees with llama.cpp's own (non-streamed) usage.
    with keeper.engine.generation_lock:
        reference = keeper.engine.llama.create_chat_completion(
            [{"role": "user", "content": request.messages[0].content}], max_tokens=1)
    assert usage.prompt_tokens == reference["usage"]["prompt_tokens"]
    assert events[-1].stop_reason in ("stop", "length")


def test_max_tokens_ends_with_length(provider):
    events = run(collect(provider, ask("Tell me a long story about the sea.", max_tokens=4)))
    assert events[-1] == Done(stop_reason="length")
    assert events[-2].completion_tokens == 4


def test_multi_turn_conversation_and_the_system_prompt_reach_the_model(provider):
    turns = [ChatMessage(role="user", content="My name is Ada."),
             ChatMessage(role="assistant", content="Hello Ada."),
             ChatMessage(role="user", content="What is my name?")]
    system = ChatMessage(role="system", content="You are a terse assistant for a library.")
    last_only = ask("What is my name?", max_tokens=6)
    with_history = last_only.model_copy(update={"messages": turns})
    with_system = last_only.model_copy(update={"messages": [system, *turns]})

    results = [run(collect(provider, r)) for r in (last_only, with_history, with_system)]

    for events in results:
        assert events[-1].type == "done" and any(e.type == "token" for e in events)
    prompt_sizes = [events[-2].prompt_tokens for events in results]
    # Earlier turns, then the system prompt, make the prompt longer: nothing
    # is dropped (llama.cpp's gemma format alone would drop the system prompt).
    assert prompt_sizes[0] < prompt_sizes[1] < prompt_sizes[2]


def test_non_streamed_reply_matches_the_streamed_one(provider):
    request = ask("Name three colours.", max_tokens=10, temperature=0.0)
    streamed = run(collect(provider, request))
    whole = run(collect(provider, request.model_copy(update={"stream": False})))

    assert [e.type for e in whole] == ["token", "usage", "done"]
    assert whole[0].text == "".join(e.text for e in streamed if isinstance(e, TextDelta))
    assert whole[-1] == streamed[-1]
    assert whole[-2].completion_tokens == streamed[-2].completion_tokens


def test_closing_the_stream_stops_the_generation_and_frees_the_model(provider, keeper):
    engine = keeper.engine
    request = ask("Count from one to one hundred.", max_tokens=16, temperature=0.0)

    async def scenario():
        stream = provider.stream_chat(request)
        first = await anext(stream)
        await stream.aclose()
        return first

    first = run(scenario())

    assert isinstance(first, TextDelta)
    assert not engine.busy  # the model lock is released ...
    assert not engine.workers and not generation_threads()  # ... and no worker remains
    prompt = engine.count_prompt_tokens([{"role": "user", "content": request.messages[0].content}],
                                        None)
    generated = engine.llama.n_tokens - prompt
    assert generated < 8  # it stopped long before its 16 tokens
    after = run(collect(provider, ask(max_tokens=4)))  # the model is free again
    assert after[-1] == Done(stop_reason="length")


def test_cancelling_the_task_stops_the_generation(provider, keeper):
    engine = keeper.engine

    async def scenario():
        got_token = asyncio.Event()
        seen: list = []

        async def consume():
            async for event in provider.stream_chat(ask("Write a poem.", max_tokens=16)):
                seen.append(event)
                got_token.set()

        task = asyncio.create_task(consume())
        await got_token.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return seen

    seen = run(scenario())
    assert seen and all(e.type == "token" for e in seen)  # no Done: it was cut
    assert not engine.busy and not engine.workers and not generation_threads()


def test_four_concurrent_streams_queue_and_all_complete(provider, keeper):
    order: list[int] = []

    async def one(index: int):
        events = []
        async for event in provider.stream_chat(ask(f"Say the number {index}.", max_tokens=6)):
            events.append(event)
            if event.type == "token":
                order.append(index)
        return events

    async def scenario():
        return await asyncio.gather(*(one(i) for i in range(4)))

    results = run(scenario())

    for events in results:
        assert events[-1].type == "done" and events[-2].type == "usage"
    # One generation at a time: each stream's tokens form one unbroken run.
    runs = [index for position, index in enumerate(order)
            if position == 0 or order[position - 1] != index]
    assert sorted(runs) == [0, 1, 2, 3]
    assert not keeper.engine.busy and not generation_threads()


def test_forced_tool_call_is_one_whole_call(provider):
    weather = ToolSpec(name="get_weather", description="Current weather in a city",
                       parameters={"type": "object",
                                   "properties": {"city": {"type": "string"}},
                                   "required": ["city"]})
    request = ask("What is the weather in Paris?", max_tokens=16,
                  tools=[weather], tool_choice="get_weather")
    events = run(collect(provider, request))

    calls = [e for e in events if e.type == "tool_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather" and calls[0].call_id
    # The grammar forces JSON; cut at max_tokens it may be incomplete (kept raw).
    assert isinstance(calls[0].arguments, dict | str)
    assert events[-1] == Done(stop_reason="tool_calls")


def test_required_tool_choice_among_several_tools_is_a_clear_error(provider):
    tools = [ToolSpec(name="a"), ToolSpec(name="b")]
    events = run(collect(provider, ask(tools=tools, tool_choice="required")))
    assert [e.type for e in events] == ["error"]
    assert "one named tool" in events[0].message


def test_aclose_frees_the_model_when_no_provider_holds_it(gemma_path):
    first = provider_for(gemma_path, n_ctx=512)
    second = provider_for(gemma_path, n_ctx=512)

    async def scenario():
        engine = await first.load()
        shared = await second.load()
        await first.aclose()
        still_loaded = engine.loaded
        await second.aclose()
        return engine, shared, still_loaded

    engine, shared, still_loaded = run(scenario())
    assert shared is engine and still_loaded  # one model, shared ...
    assert engine.loaded_on != threading.main_thread().name  # loaded off the loop thread
    assert not engine.loaded  # ... freed with the last holder
    assert loaded_engine(gemma_path.resolve(), 512) is None


def test_a_prompt_longer_than_the_context_is_a_context_length_error(gemma_path):
    small = provider_for(gemma_path, n_ctx=128)

    async def scenario():
        try:
            return await collect(small, ask("word " * 300, max_tokens=4))
        finally:
            await small.aclose()

    events = run(scenario())
    assert [e.type for e in events] == ["status", "status", "error"]
    assert [e.state for e in events[:2]] == ["loading_model", "generating"]
    assert events[-1].kind == "context_length"


def test_a_load_outliving_a_cancelled_request_is_still_freed(gemma_path):
    loader = provider_for(gemma_path, n_ctx=640)

    async def scenario():
        task = asyncio.create_task(collect(loader, ask(max_tokens=2)))
        await asyncio.sleep(0.05)  # the model is loading on its worker thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cancelled_during_load = loader.engine is None
        for _ in range(1200):  # the load finishes on its own and is kept ...
            if loader.engine is not None:
                break
            await asyncio.sleep(0.05)
        engine = loader.engine
        assert cancelled_during_load and engine is not None
        await loader.aclose()  # ... so that closing frees it
        return engine

    engine = run(scenario())
    assert not engine.loaded and loaded_engine(gemma_path.resolve(), 640) is None
