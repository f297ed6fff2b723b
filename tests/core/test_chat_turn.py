"""One plain chat turn (AgentRunner without tools) over a real database file with
scripted providers."""

from __future__ import annotations

import asyncio
import json

from app.core.runner import AgentRunner, RunConfig, RunnerDeps, build_request
from app.core.fallback import Attempt
from app.domain import (
    AgentSpec,
    Done,
    Error,
    FallbackTarget,
    Message,
    ModelInfo,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    Usage,
)
from app.settings import AppSettings
from tests.support.runner_helpers import RoundsProvider
from tests.support.scripted_providers import ScriptedProvider, answer, config, refused, source
from tests.support.turn_helpers import collect, messages_of, read_rows, run_with_setup

LOCAL = config("local")
BACKUP = config("backup")
SETTINGS = AppSettings(stream_flush_seconds=0.05)


def spec(**extra) -> AgentSpec:
    values = {"name": "helper", "provider": "local", "model": "gemma",
              "system_prompt": "You are terse.", "temperature": 0.3, "max_tokens": 24,
              "fallbacks": [FallbackTarget(provider="backup", model="qwen")]}
    values.update(extra)
    return AgentSpec(**values)


def turn_for(setup, text, scripted) -> AgentRunner:
    return AgentRunner(RunnerDeps(setup.store, SETTINGS, providers=source(scripted)),
                       RunConfig(setup.agent, setup.conversation_id, text))


def test_user_message_is_committed_before_the_request_leaves(tmp_path):
    seen: list[list[dict]] = []
    path = tmp_path / "agentdesk.db"

    def check_db(request):
        seen.append(read_rows(path, "SELECT role, content, status FROM messages"))

    scripted = {"local": ScriptedProvider(LOCAL, [check_db, *answer("hi")]),
                "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        await collect(turn_for(setup, "hello there", scripted).events())

    run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    assert len(seen) == 1
    assert {"role": "user", "content": "hello there", "status": "complete"} in seen[0]


def test_complete_reply_is_stored_with_usage_model_provider_and_routing(tmp_path):
    usage = Usage(prompt_tokens=12, completion_tokens=2, ttft_ms=40.0, tokens_per_s=50.0)
    scripted = {"local": ScriptedProvider(LOCAL, answer("Hel", "lo", usage=usage)),
                "backup": ScriptedProvider(BACKUP)}
    status_at_done: list[str] = []

    async def body(setup):
        turn = turn_for(setup, "say hello", scripted)
        events = []
        async for event in turn.events():
            events.append(event)
            if isinstance(event, Done):     # the final write happened before Done
                rows = messages_of(setup.path, setup.conversation_id)
                status_at_done.append(rows[-1]["status"])
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    assert status_at_done == ["complete"]
    final: Message = outcome.final
    assert (final.status, final.content, final.model, final.provider) == \
        ("complete", "Hello", "gemma", "local")
    assert final.usage.prompt_tokens == 12 and final.usage.completion_tokens == 2
    assert final.meta["routing"]["decision"] == "fixed"
    assert final.meta["attempts"][0]["outcome"] == "answered"
    assert final.meta["stop_reason"] == "stop"
    assert [e.type for e in events if not isinstance(e, Attempt)] == \
        ["token", "token", "usage", "done"]


def test_request_carries_system_prompt_history_and_agent_settings(tmp_path):
    scripted = {"local": ScriptedProvider(LOCAL, answer("one")),
                "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        await collect(turn_for(setup, "first", scripted).events())
        scripted["local"].script = refused("server", retryable=False)
        scripted["backup"].script = refused("server", retryable=False)
        await collect(turn_for(setup, "second", scripted).events())   # fails: no reply text
        scripted["local"].script = answer("three")
        await collect(turn_for(setup, "third", scripted).events())

    run_with_setup(tmp_path, spec(streaming=False), [LOCAL, BACKUP], body)
    last = scripted["local"].requests[-1]
    assert [(m.role, m.content) for m in last.messages] == [
        ("system", "You are terse."), ("user", "first"), ("assistant", "one"),
        ("user", "second"), ("user", "third")]
    assert (last.temperature, last.max_tokens, last.stream, last.model) == \
        (0.3, 24, False, "gemma")


def test_fallback_answer_records_who_answered_and_what_was_skipped(tmp_path):
    scripted = {"local": ScriptedProvider(LOCAL, refused("unreachable")),
                "backup": ScriptedProvider(BACKUP, answer("from backup"))}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        await collect(turn.events())
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert (row["status"], row["provider"], row["model"], row["content"]) == \
        ("complete", "backup", "qwen", "from backup")
    attempts = json.loads(row["meta"])["attempts"]
    assert [(a["provider"], a["outcome"], a["error_kind"]) for a in attempts] == [
        ("local", "failed", "unreachable"), ("backup", "answered", None)]
    # No usage from the provider: the time to the first token is still recorded.
    assert json.loads(row["usage"])["ttft_ms"] is not None


def test_error_after_tokens_is_partial_and_keeps_the_text(tmp_path):
    script = [TextDelta(text="half an "), TextDelta(text="answer"),
              Error(kind="server", message="connection reset")]
    scripted = {"local": ScriptedProvider(LOCAL, script),
                "backup": ScriptedProvider(BACKUP, answer("never"))}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        await collect(turn.events())
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    assert scripted["backup"].requests == []
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert (row["status"], row["content"], row["error"]) == \
        ("partial", "half an answer", "connection reset")
    assert row["provider"] == "local"


def test_nothing_received_is_an_error_with_the_summary(tmp_path):
    scripted = {"local": ScriptedProvider(LOCAL, refused("unreachable")),
                "backup": ScriptedProvider(BACKUP, refused("auth", retryable=False))}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        events = await collect(turn.events())
        return turn.result, setup, events

    outcome, setup, events = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    assert isinstance(events[-1], Error) and events[-1].kind == "auth"
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert row["status"] == "error" and row["content"] == ""
    assert "local/gemma: unreachable" in row["error"] and "backup/qwen: auth" in row["error"]
    meta = json.loads(row["meta"])
    assert meta["error_kind"] == "auth" and len(meta["attempts"]) == 2


def test_no_allowed_candidate_is_an_error_with_routing_reasons(tmp_path):
    cloud = config("cloud", local=False)
    scripted = {"cloud": ScriptedProvider(cloud, answer("leak"))}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        await collect(turn.events())
        return turn.result, setup

    agent = spec(provider="cloud", model="gpt", fallbacks=[], local_only=True)
    outcome, setup = run_with_setup(tmp_path, agent, [cloud], body)
    assert scripted["cloud"].requests == []
    assert outcome.final.status == "error"
    assert any("local-only" in r for r in outcome.final.meta["routing"]["reasons"])


def test_thinking_and_tool_calls_are_stored(tmp_path):
    script = [ThinkingDelta(text="let me think"), TextDelta(text="calling"),
              ToolCall(call_id="c1", name="clock", arguments='{"tz": bad json'),
              Done(stop_reason="tool_calls")]
    # The runner feeds the (failed) tool call back: the second request answers.
    scripted = {"local": RoundsProvider(LOCAL, [script, answer("no clock here")]),
                "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        turn = turn_for(setup, "time?", scripted)
        await collect(turn.events())
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    asked = outcome.rounds[0]
    assert asked.status == "complete"
    assert asked.meta["thinking"] == "let me think"
    assert asked.meta["stop_reason"] == "tool_calls"
    assert [(c.call_id, c.name, c.arguments) for c in asked.tool_calls] == \
        [("c1", "clock", '{"tz": bad json')]
    [result] = outcome.tool_messages
    assert (result.role, result.tool_call_id, result.status) == ("tool", "c1", "error")
    assert (outcome.final.status, outcome.final.content) == ("complete", "no clock here")


def test_cancelling_the_task_mid_reply_keeps_the_partial_text(tmp_path):
    script = [TextDelta(text="so far "), TextDelta(text="so good"), 30.0, *answer("never")]
    scripted = {"local": ScriptedProvider(LOCAL, script), "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        got_two = asyncio.Event()

        async def consume():
            count = 0
            async for event in turn.events():
                count += isinstance(event, TextDelta)
                if count == 2:
                    got_two.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(got_two.wait(), 10)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert (row["status"], row["content"]) == ("cancelled", "so far so good")
    assert json.loads(row["meta"])["stop_reason"] == "cancelled"
    assert scripted["local"].streams_closed == 1
    assert scripted["backup"].requests == []


def test_closing_the_event_stream_early_also_cancels_the_reply(tmp_path):
    script = [TextDelta(text="first"), 30.0, *answer("never")]
    scripted = {"local": ScriptedProvider(LOCAL, script), "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        events = turn.events()
        async for event in events:
            if isinstance(event, TextDelta):
                break
        await events.aclose()
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(), [LOCAL, BACKUP], body)
    row = messages_of(setup.path, setup.conversation_id)[-1]
    assert (row["status"], row["content"]) == ("cancelled", "first")


def test_auto_agent_asks_its_provider_for_models(tmp_path):
    models = [ModelInfo(provider="local", id="cold"),
              ModelInfo(provider="local", id="warm", loaded=True)]
    scripted = {"local": ScriptedProvider(LOCAL, answer("ok"), models=models),
                "backup": ScriptedProvider(BACKUP)}

    async def body(setup):
        turn = turn_for(setup, "hi", scripted)
        await collect(turn.events())
        return turn.result, setup

    outcome, setup = run_with_setup(tmp_path, spec(model="auto"), [LOCAL, BACKUP], body)
    assert scripted["local"].list_calls == 1
    assert scripted["backup"].list_calls == 0          # it names its model
    assert scripted["local"].requests[0].model == "warm"
    assert outcome.final.model == "warm"
    assert outcome.final.meta["routing"]["decision"] == "local"


def test_build_request_skips_unfinished_and_empty_replies():
    history = [
        Message(conversation_id=1, role="user", content="a"),
        Message(conversation_id=1, role="assistant", content="", status="error"),
        Message(conversation_id=1, role="assistant", content="cut", status="partial"),
        Message(conversation_id=1, role="assistant", content="busy", status="streaming"),
        Message(conversation_id=1, role="user", content="b"),
    ]
    request = build_request(AgentSpec(name="x", model="m"), history)
    assert [(m.role, m.content) for m in request.messages] == \
        [("user", "a"), ("assistant", "cut"), ("user", "b")]
