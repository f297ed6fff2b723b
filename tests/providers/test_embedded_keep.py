"""The embedded engine between replies, through the REAL llama.cpp engine and
Gemma 3 270M: kept loaded for the idle time the settings give (one provider
object per reply, as the runner makes them), freed after it, seeded per
request, and telling its consumer when it loads or waits.

Each test uses its own context size, so it has an engine of its own (the
engines are cached by file and context size).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.core.provider_factory import options_from_settings
from app.domain import Status
from app.providers.base import ProviderOptions
from app.providers.embedded import chat_kwargs
from app.providers.embedded_engine import loaded_engine, unload_idle_engines
from app.settings import AppSettings
from tests.providers.embedded_helpers import ask, collect, provider_for
from tests.support.llama_server import gemma_model_path

KEEP = ProviderOptions(keep_loaded_seconds=600)
PROMPT = "Once upon a time"


@pytest.fixture(scope="module")
def gemma_path() -> Path:
    return gemma_model_path()


@pytest.fixture(autouse=True)
def free_kept_models():
    yield
    unload_idle_engines()


async def reply(path: Path, n_ctx: int, options: ProviderOptions, **request) -> tuple:
    """One reply the way a chat turn makes it: a new provider, closed after."""
    provider = provider_for(path, n_ctx=n_ctx, options=options)
    try:
        events = await collect(provider, ask(PROMPT, max_tokens=16, **request))
        engine = provider.engine
    finally:
        await provider.aclose()
    text = "".join(e.text for e in events if e.type == "token")
    states = [e.state for e in events if isinstance(e, Status)]
    assert events[-1].type == "done", events[-1]
    return text, states, engine


def test_the_model_is_loaded_once_for_two_replies(gemma_path):
    async def scenario():
        first = await reply(gemma_path, 704, KEEP, temperature=0.7)
        still_loaded = first[2].loaded           # after its provider closed
        second = await reply(gemma_path, 704, KEEP, temperature=0.7)
        return first, still_loaded, second

    (_, first_states, first_engine), still_loaded, (_, second_states, second_engine) = \
        asyncio.run(scenario())
    assert still_loaded
    assert second_engine is first_engine
    assert second_engine.llama is not None and first_engine.load_count == 1  # same Llama
    assert first_states == ["loading_model", "generating"]   # "loading model…" once ...
    assert second_states == []                               # ... not for the next reply


def test_without_keeping_the_model_is_freed_after_each_reply(gemma_path):
    async def scenario():
        return await reply(gemma_path, 736, ProviderOptions(keep_loaded_seconds=0),
                           temperature=0.7)

    _text, _states, engine = asyncio.run(scenario())
    assert not engine.loaded and loaded_engine(gemma_path.resolve(), 736) is None


def test_regenerated_replies_on_a_kept_model_differ(gemma_path):
    async def scenario():
        return [(await reply(gemma_path, 768, KEEP, temperature=0.9))[0] for _ in range(2)]

    first, second = asyncio.run(scenario())
    assert first and second and first != second  # each request has its own seed


def test_each_request_gets_a_fresh_seed_unless_the_agent_fixed_one():
    free = [chat_kwargs(ask(temperature=0.7), "gemma")["seed"] for _ in range(3)]
    assert len(set(free)) == 3 and all(0 <= seed < 2**32 - 1 for seed in free)
    assert chat_kwargs(ask(temperature=0.7, seed=7), "gemma")["seed"] == 7


def test_a_fresh_load_per_reply_still_gets_a_new_seed(gemma_path):
    """The reported defect: the model reloaded for every reply restarted its
    seed, so Regenerate gave the same text."""
    async def scenario():
        options = ProviderOptions(keep_loaded_seconds=0)
        return [(await reply(gemma_path, 800, options, temperature=0.9))[0] for _ in range(2)]

    first, second = asyncio.run(scenario())
    assert first and second and first != second


def test_an_idle_model_is_freed_after_the_set_time_and_kept_while_used(gemma_path):
    short = ProviderOptions(keep_loaded_seconds=0.5)

    async def scenario():
        _t, _s, engine = await reply(gemma_path, 832, short, temperature=0.5)
        loaded_after_reply = engine.loaded
        # Taken again within the idle time: the pending unload is called off.
        provider = provider_for(gemma_path, n_ctx=832, options=short)
        again = await provider.load()
        await asyncio.sleep(1.0)
        kept_while_held = engine.loaded
        await provider.aclose()
        for _ in range(200):                     # then freed once idle long enough
            if not engine.loaded:
                break
            await asyncio.sleep(0.05)
        return engine, again, loaded_after_reply, kept_while_held

    engine, again, loaded_after_reply, kept_while_held = asyncio.run(scenario())
    assert loaded_after_reply and again is engine and kept_while_held
    assert not engine.loaded and loaded_engine(gemma_path.resolve(), 832) is None


def test_a_request_behind_another_says_it_waits_for_the_engine(gemma_path):
    provider = provider_for(gemma_path, n_ctx=864, options=KEEP)

    async def scenario():
        await provider.load()
        first_token = asyncio.Event()

        async def first():
            events = []
            async for event in provider.stream_chat(ask("Count to fifty.", max_tokens=48)):
                events.append(event)
                first_token.set()
            return events

        task = asyncio.create_task(first())
        await first_token.wait()              # the first holds the model now
        second = await collect(provider, ask(PROMPT, max_tokens=4))
        await task
        await provider.aclose()
        return second

    second = asyncio.run(scenario())
    types = [e.type if e.type != "status" else e.state for e in second]
    assert types[:2] == ["waiting_engine", "generating"]
    assert "token" in types and types[-1] == "done"


def test_the_idle_time_comes_from_the_settings():
    settings = AppSettings()
    assert options_from_settings(settings).keep_loaded_seconds == 600   # 10 min default
    settings.engine.keep_loaded_minutes = 0
    assert options_from_settings(settings).keep_loaded_seconds == 0
