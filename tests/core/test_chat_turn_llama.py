"""A plain chat turn (AgentRunner) end to end against the REAL llama.cpp server (Gemma 3 270M).

The model is tiny: these tests assert protocol and behaviour, never wording.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.fallback import ProviderPool
from app.core.provider_factory import build_provider
from app.domain import AgentSpec, ChatRequest, FallbackTarget, ProviderConfig, TextDelta
from app.providers.base import ChatProvider, ProviderOptions, RetryPolicy, Timeouts
from app.settings import AppSettings
from tests.support.llama_server import free_port
from tests.support.turn_helpers import collect, messages_of, read_rows, run_with_setup

SETTINGS = AppSettings(stream_flush_seconds=0.05)
FAST_FAIL = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=60.0, idle=30.0),
                            retry=RetryPolicy(attempts=2, backoff=0.05))


@pytest.fixture
def llama(llama_server) -> ProviderConfig:
    return ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url)


def agent(**extra) -> AgentSpec:
    values = {"name": "gemma", "provider": "llama", "model": "gemma3", "max_tokens": 16,
              "temperature": 0.0}
    values.update(extra)
    return AgentSpec(**values)


def pool() -> ProviderPool:
    return ProviderPool(lambda config: build_provider(config, FAST_FAIL))


class CheckingProvider(ChatProvider):
    """The real provider, but it first reads the database through another
    connection, at the moment the request is about to leave."""

    def __init__(self, inner: ChatProvider, db_path) -> None:
        super().__init__(inner.config, inner.options)
        self.inner = inner
        self.db_path = db_path
        self.rows_at_send: list[list[dict]] = []

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator:
        self.rows_at_send.append(read_rows(self.db_path, "SELECT role, content FROM messages"))
        async for event in self.inner.stream_chat(request):
            yield event

    async def list_models(self):
        return await self.inner.list_models()

    async def probe(self):
        return await self.inner.probe()

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_reply_is_streamed_and_stored_complete_after_the_user_message(tmp_path, llama):
    checking: list[CheckingProvider] = []

    def factory(config):
        provider = CheckingProvider(build_provider(config, FAST_FAIL), tmp_path / "agentdesk.db")
        checking.append(provider)
        return provider

    async def body(setup):
        providers = ProviderPool(factory)
        try:
            turn = AgentRunner(RunnerDeps(setup.store, SETTINGS, providers=providers),
                               RunConfig(setup.agent, setup.conversation_id, "Name one colour."))
            events = await collect(turn.events())
        finally:
            await providers.aclose()
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, agent(system_prompt="Answer briefly."),
                                  [llama], body)
    # Seen through another connection as the request left: the user's message
    # (and the empty reply row that is about to fill).
    assert checking[0].rows_at_send == [[{"role": "user", "content": "Name one colour."},
                                         {"role": "assistant", "content": ""}]]
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) >= 1
    assert events[-1].type == "done"
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert row["status"] == "complete"
    assert row["content"] == "".join(texts) and row["content"]
    assert (row["provider"], row["model"]) == ("llama", "gemma3")
    usage = json.loads(row["usage"])
    assert usage["ttft_ms"] is not None and usage["ttft_ms"] > 0
    assert usage["completion_tokens"] is None or 0 < usage["completion_tokens"] <= 16
    assert json.loads(row["meta"])["routing"]["decision"] == "fixed"


def test_dead_first_provider_falls_back_to_the_real_server(tmp_path, llama):
    dead = ProviderConfig(name="dead", kind="llamacpp",
                          base_url=f"http://127.0.0.1:{free_port()}/v1")
    spec = agent(provider="dead", model="whatever",
                 fallbacks=[FallbackTarget(provider="llama", model="gemma3")])

    async def body(setup):
        providers = pool()
        try:
            turn = AgentRunner(RunnerDeps(setup.store, SETTINGS, providers=providers),
                               RunConfig(setup.agent, setup.conversation_id, "Say hi."))
            events = await collect(turn.events())
        finally:
            await providers.aclose()
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, spec, [dead, llama], body)
    assert events[-1].type == "done"
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert (row["status"], row["provider"], row["model"]) == ("complete", "llama", "gemma3")
    attempts = json.loads(row["meta"])["attempts"]
    assert [(a["provider"], a["outcome"]) for a in attempts] == \
        [("dead", "failed"), ("llama", "answered")]
    assert attempts[0]["error_kind"] == "unreachable"


def test_cancel_mid_reply_stores_the_partial_text_as_cancelled(tmp_path, llama):
    received: list[str] = []

    async def body(setup):
        providers = pool()
        turn = AgentRunner(RunnerDeps(setup.store, SETTINGS, providers=providers),
                           RunConfig(setup.agent, setup.conversation_id,
                                     "Write a long story about a dragon."))
        first = asyncio.Event()

        async def consume():
            async for event in turn.events():
                if isinstance(event, TextDelta):
                    received.append(event.text)
                    first.set()

        task = asyncio.create_task(consume())
        try:
            await asyncio.wait_for(first.wait(), 60)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            await providers.aclose()
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, agent(max_tokens=32), [llama], body)
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert row["status"] == "cancelled"
    assert row["content"] and row["content"] == "".join(received)
    assert len(received) < 32
