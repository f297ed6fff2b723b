"""Engine states (``Status``) on their way from a provider to the caller, the
reply's recorded duration, and the empty chat's starter prompts."""

from __future__ import annotations

import asyncio

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.fallback import Attempt, FallbackStream
from app.core.presets import PRESETS
from app.core.routing import Candidate
from app.core.starters import GENERIC, MAX_STARTERS, STARTERS, agent_kind, starter_prompts
from app.domain import (AgentSpec, ChatMessage, ChatRequest, Done, Status, TextDelta,
                        parse_event)
from app.settings import AppSettings
from tests.support.scripted_providers import ScriptedProvider, answer, config, refused, source
from tests.support.turn_helpers import collect, run_with_setup

LOCAL = config("local")
BACKUP = config("backup")
REQUEST = ChatRequest(model="m", messages=[ChatMessage(role="user", content="hi")])


def stream_events(*scripts) -> list:
    providers = {f"p{i}": ScriptedProvider(config(f"p{i}"), script)
                 for i, script in enumerate(scripts)}
    candidates = [Candidate(p.config, f"m{i}", "primary" if i == 0 else f"fallback {i}")
                  for i, p in enumerate(providers.values())]
    stream = FallbackStream(candidates, REQUEST, source(providers))

    async def go():
        return [event async for event in stream.events()]

    return asyncio.run(go())


def test_status_passes_the_fallback_at_once_not_held_for_the_first_token():
    async def go():
        gate = asyncio.Event()
        provider = ScriptedProvider(config("p0"), [Status(state="loading_model"),
                                                   lambda _r: gate.wait(), *answer("hi")])
        stream = FallbackStream([Candidate(provider.config, "m0", "primary")], REQUEST,
                                source({"p0": provider}))
        events = stream.events()
        # The provider is still blocked (no token yet): the state is out already.
        first = await asyncio.wait_for(anext(events), 5)
        gate.set()
        rest = [event async for event in events]
        return first, rest

    first, rest = asyncio.run(go())
    assert first == Status(state="loading_model")
    assert [e.type for e in rest if not isinstance(e, Attempt)] == ["token", "done"]


def test_status_of_a_candidate_that_then_fails_still_reaches_the_caller():
    events = stream_events([Status(state="loading_model"), *refused()], answer("from backup"))
    kinds = [e.type if not isinstance(e, Attempt) else e.outcome for e in events]
    assert kinds == ["status", "failed", "answered", "token", "done"]


def test_status_is_shown_but_never_recorded_and_the_duration_is(tmp_path):
    scripted = {"local": ScriptedProvider(LOCAL, [Status(state="waiting_engine"), 0.2,
                                                  Status(state="generating"),
                                                  TextDelta(text="Hello"),
                                                  Done(stop_reason="length")])}
    agent = AgentSpec(name="helper", provider="local", model="gemma", max_tokens=4)

    async def body(setup):
        turn = AgentRunner(RunnerDeps(setup.store, AppSettings(stream_flush_seconds=0.05),
                                      providers=source(scripted)),
                           RunConfig(setup.agent, setup.conversation_id, "hi"))
        events = await collect(turn.events())
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, agent, [LOCAL], body)
    states = [e.state for e in events if isinstance(e, Status)]
    assert states == ["waiting_engine", "generating"]
    final = outcome.final
    assert final.content == "Hello" and "status" not in final.meta
    assert final.meta["stop_reason"] == "length"
    assert final.meta["duration_ms"] >= 200          # from the reply's start: the wait counts


def test_status_round_trips_as_an_ndjson_line():
    line = Status(state="loading_model", detail="model.gguf").model_dump_json()
    assert '"type":"status"' in line
    assert parse_event(line) == Status(state="loading_model", detail="model.gguf")


def test_each_preset_has_its_own_starters_and_others_get_generic_ones():
    for preset in PRESETS:
        agent = AgentSpec(name=preset.name, system_prompt=preset.system_prompt)
        assert agent_kind(preset.system_prompt) == preset.key
        assert starter_prompts(agent) == list(STARTERS[preset.key])[:MAX_STARTERS]
    assert starter_prompts(AgentSpec(name="blank")) == list(GENERIC)
    assert starter_prompts(AgentSpec(name="x", system_prompt="Be kind.")) == list(GENERIC)
    coder = AgentSpec(name="x", system_prompt="You review Python programs.")
    assert starter_prompts(coder) == list(STARTERS["code"])
    assert len(starter_prompts(coder, limit=2)) == 2
