"""AgentRunner against the REAL llama.cpp server (Gemma 3 270M), tools forced.

The tiny model's tool-call arguments are often invalid JSON: the runner must
survive that and feed an error result back. Assert protocol, never wording.
"""

from __future__ import annotations

import json

import pytest

from app.core.fallback import ProviderPool
from app.core.provider_factory import build_provider
from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.tools.base import FunctionTool
from app.domain import AgentSpec, Done, ProviderConfig, ToolCall, ToolResult
from app.providers.base import ProviderOptions, RetryPolicy, Timeouts
from app.settings import AppSettings
from tests.support.runner_helpers import registry
from tests.support.turn_helpers import collect, messages_of, run_with_setup

FAST_FAIL = ProviderOptions(timeouts=Timeouts(connect=2.0, first_byte=60.0, idle=30.0),
                            retry=RetryPolicy(attempts=2, backoff=0.05))


@pytest.fixture
def llama(llama_server) -> ProviderConfig:
    return ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url)


def shout(text: str) -> str:
    """Repeat a text in capitals.

    Args:
        text: what to repeat.
    """
    return text.upper()


def test_forced_tool_call_round_trip_with_the_real_server(tmp_path, llama):
    tool = FunctionTool(shout)
    agent = AgentSpec(name="gemma", provider="llama", model="gemma3", max_tokens=32,
                      temperature=0.0, tools=["shout"])

    async def body(setup):
        providers = ProviderPool(lambda config: build_provider(config, FAST_FAIL))
        try:
            runner = AgentRunner(
                RunnerDeps(setup.store, AppSettings(stream_flush_seconds=0.05, home=tmp_path),
                           providers=providers, tools=registry(tool)),
                RunConfig(setup.agent, setup.conversation_id,
                          "Use the shout tool on the word hello.",
                          tool_choice="shout", max_rounds=1))
            events = await collect(runner.events())
        finally:
            await providers.aclose()
        return runner.result, events, messages_of(setup.path, setup.conversation_id)

    outcome, events, rows = run_with_setup(tmp_path, agent, [llama], body)
    calls = [e for e in events if isinstance(e, ToolCall)]
    results = [e for e in events if isinstance(e, ToolResult)]
    assert calls and calls[0].name == "shout"
    assert [r.call_id for r in results] == [c.call_id for c in calls]
    # Valid arguments run the tool; invalid JSON comes back as an error result.
    for call, result in zip(calls, results):
        assert result.is_error == (not isinstance(call.arguments, dict)
                                   or not isinstance(call.arguments.get("text"), str))
    assert isinstance(events[-1], Done), events[-1]
    assert [r["id"] for r in rows if r["status"] == "streaming"] == []
    tool_rows = [r for r in rows if r["role"] == "tool"]
    assert [r["tool_call_id"] for r in tool_rows] == [c.call_id for c in calls]
    assert all(json.loads(r["meta"])["tool"] == "shout" for r in tool_rows)
    # The second (final) request carried the result and offered no tools.
    assert len(outcome.requests) == 2
    final = outcome.requests[1]
    assert final.tools == [] and [m.role for m in final.messages][-1] == "tool"
    assert outcome.final.status == "complete" and outcome.final.role == "assistant"
