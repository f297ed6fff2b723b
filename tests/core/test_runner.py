"""AgentRunner tool rounds over a real database file with scripted providers."""

from __future__ import annotations

import asyncio
import json

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.tools.base import ApprovalRequest, FunctionTool
from app.domain import AgentSpec, ChatRequest, Done, TextDelta, ToolCall, ToolResult
from app.settings import AppSettings
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls, registry
from tests.support.scripted_providers import answer, config, source
from tests.support.turn_helpers import collect, messages_of, run_with_setup

LOCAL = config("local")
SETTINGS = AppSettings(stream_flush_seconds=0.05)


def spec(**extra) -> AgentSpec:
    values = {"name": "worker", "provider": "local", "model": "gemma",
              "system_prompt": "Use tools.", "max_tokens": 64}
    values.update(extra)
    return AgentSpec(**values)


#: Options of ``runner_for`` that are dependencies; the others configure the run.
DEPS_OPTIONS = frozenset({"approver", "models", "recorder"})


def runner_for(setup, text, provider, tools, *, settings=None, **options) -> AgentRunner:
    settings = settings or SETTINGS.model_copy(update={"home": setup.path.parent})
    deps = {name: options.pop(name) for name in DEPS_OPTIONS & options.keys()}
    return AgentRunner(RunnerDeps(setup.store, settings, providers=source({"local": provider}),
                                  tools=tools, **deps),
                       RunConfig(setup.agent, setup.conversation_id, text, **options))


def run(tmp_path, agent, provider, tools, text="go", **kwargs):
    async def body(setup):
        runner = runner_for(setup, text, provider, tools, **kwargs)
        events = await collect(runner.events())
        return runner.result, events, messages_of(setup.path, setup.conversation_id)

    return run_with_setup(tmp_path, agent, [LOCAL], body)


def test_tool_call_result_is_fed_back_and_the_model_answers(tmp_path):
    adder = FunctionTool(lambda a, b: str(a + b), name="add", description="add two numbers")
    seen_in_round_2: list[ChatRequest] = []

    def check_round_2(request):
        seen_in_round_2.append(request)

    provider = RoundsProvider(LOCAL, [
        [TextDelta(text="Let me add. "), *calls(("c1", "add", {"a": 2, "b": 3}))],
        [check_round_2, *answer("It is 5.")],
    ])
    outcome, events, rows = run(tmp_path, spec(tools=["add"]), provider, registry(adder))

    # Round 1 offered the tool; round 2 carried the call and its result.
    first, second = provider.requests
    assert [t.name for t in first.tools] == ["add"]
    assert [m.role for m in second.messages] == ["system", "user", "assistant", "tool"]
    assistant, result = second.messages[2:]
    assert [(c.call_id, c.name, c.arguments) for c in assistant.tool_calls] == \
        [("c1", "add", {"a": 2, "b": 3})]
    assert assistant.content == "Let me add. "
    assert (result.tool_call_id, result.content, result.name) == ("c1", "5", "add")
    assert seen_in_round_2 == [second]

    # Events: the call, its result, the answer, exactly one Done at the end.
    kinds = [e.type for e in events if e.type != "attempt"]
    assert kinds == ["token", "tool_call", "tool_result", "token", "done"]
    tool_result = next(e for e in events if isinstance(e, ToolResult))
    assert (tool_result.call_id, tool_result.content, tool_result.is_error) == ("c1", "5", False)

    # Stored: user, round 1 (with the call), the tool result, round 2.
    assert [(r["role"], r["status"]) for r in rows] == [
        ("user", "complete"), ("assistant", "complete"), ("tool", "complete"),
        ("assistant", "complete")]
    assert json.loads(rows[1]["tool_calls"])[0]["name"] == "add"
    tool_meta = json.loads(rows[2]["meta"])
    assert tool_meta["tool"] == "add" and tool_meta["outcome"] == "ok"
    assert tool_meta["duration_ms"] >= 0
    assert rows[2]["tool_call_id"] == "c1"
    assert [json.loads(r["meta"])["round"] for r in rows if r["role"] == "assistant"] == [1, 2]
    assert outcome.final.content == "It is 5."


def test_independent_tool_calls_run_concurrently(tmp_path):
    gate = asyncio.Event()
    # Each tool waits for the gate; the gate opens once both have started.
    first, second = SlowTool("first", release=gate), SlowTool("second", release=gate)

    async def open_gate_when_both_started():
        while not (first.started and second.started):
            await asyncio.sleep(0.005)
        gate.set()

    provider = RoundsProvider(LOCAL, [
        calls(("a", "first", {"x": 1}), ("b", "second", {"x": 2})), answer("both done")])

    async def body(setup):
        runner = runner_for(setup, "go", provider, registry(first, second))
        opener = asyncio.create_task(open_gate_when_both_started())
        events = await asyncio.wait_for(collect(runner.events()), 20)
        await opener
        return events

    events = run_with_setup(tmp_path, spec(tools=["first", "second"]), [LOCAL], body)
    # Both started before either ended: they overlapped.
    assert max(first.started[0], second.started[0]) <= min(first.ended[0], second.ended[0])
    results = [e for e in events if isinstance(e, ToolResult)]
    assert sorted(r.call_id for r in results) == ["a", "b"]
    assert events[-1] == Done(stop_reason="stop")


def test_round_limit_ends_with_a_request_without_tools(tmp_path):
    looping = SlowTool("again")
    provider = RoundsProvider(LOCAL, [calls(("c", "again", {}))])   # always calls again
    result, events, rows = run(tmp_path, spec(tools=["again"]), provider, registry(looping),
                               max_rounds=3)
    assert len(provider.requests) == 4                      # 3 rounds + the final one
    assert all(r.tools and r.tool_choice is None for r in provider.requests[:3])
    final = provider.requests[3]
    assert final.tools == [] and final.tool_choice == "none"
    assert len(looping.started) == 3                         # the final call is not run
    assert [e.type for e in events if e.type == "tool_call"] == ["tool_call"] * 3
    assert events[-1].type == "done"
    assistants = [r for r in rows if r["role"] == "assistant"]
    assert len(assistants) == 4
    last_meta = json.loads(assistants[-1]["meta"])
    assert last_meta["ignored_tool_calls"] == 1 and last_meta["round"] == 4
    assert json.loads(assistants[-1]["tool_calls"]) == []
    assert sum(r["role"] == "tool" for r in rows) == 3


def test_round_limit_comes_from_the_settings(tmp_path):
    provider = RoundsProvider(LOCAL, [calls(("c", "again", {}))])
    settings = AppSettings(stream_flush_seconds=0.05, runner={"max_tool_rounds": 2},
                           home=tmp_path)
    run(tmp_path, spec(tools=["again"]), provider, registry(SlowTool("again")),
        settings=settings)
    assert len(provider.requests) == 3


def test_tool_errors_are_fed_back_as_error_results(tmp_path):
    broken = SlowTool("broken", fail="disk on fire")
    typed_calls: list[int] = []
    typed = FunctionTool(lambda x: typed_calls.append(x) or "fine", name="typed")
    provider = RoundsProvider(LOCAL, [
        calls(("c1", "broken", {}), ("c2", "missing", {}), ("c3", "broken", "{not json"),
              ("c4", "typed", {"y": 1})),
        answer("sorry")])
    result, events, rows = run(tmp_path, spec(tools=["broken", "typed"]), provider,
                               registry(broken, typed))
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    assert sorted(results) == ["c1", "c2", "c3", "c4"]
    assert all(r.is_error for r in results.values())
    assert "disk on fire" in results["c1"].content
    assert "no tool named 'missing'" in results["c2"].content
    assert "not valid JSON" in results["c3"].content
    assert "invalid arguments for typed" in results["c4"].content
    assert len(broken.started) == 1 and typed_calls == []   # only c1 reached a tool
    fed_back = {m.tool_call_id: m.content for m in provider.requests[1].messages
                if m.role == "tool"}
    assert fed_back == {k: v.content for k, v in results.items()}
    tool_rows = [r for r in rows if r["role"] == "tool"]
    assert {r["status"] for r in tool_rows} == {"error"}
    assert events[-1].type == "done" and result.final.content == "sorry"


def test_denied_approval_is_fed_back_and_the_tool_never_runs(tmp_path):
    risky = SlowTool("risky", policy="ask")
    asked: list[ApprovalRequest] = []

    async def say_no(request):
        asked.append(request)
        return False

    provider = RoundsProvider(LOCAL, [calls(("c1", "risky", {"x": 1})), answer("ok")])
    _, events, rows = run(tmp_path, spec(tools=["risky"]), provider, registry(risky),
                          approver=say_no)
    assert [(a.tool, a.arguments) for a in asked] == [("risky", {"x": 1})]
    assert risky.started == []
    [result] = [e for e in events if isinstance(e, ToolResult)]
    assert result.is_error and "declined" in result.content
    tool_row = next(r for r in rows if r["role"] == "tool")
    assert tool_row["status"] == "error"
    assert json.loads(tool_row["meta"])["outcome"] == "denied"


def test_agent_policy_overrides_the_tool_default(tmp_path):
    asking = SlowTool("asking", policy="ask")
    trusted = SlowTool("trusted", policy="auto")
    asked: list[str] = []

    async def approver(request):
        asked.append(request.tool)
        return True

    provider = RoundsProvider(LOCAL, [calls(("a", "asking", {}), ("t", "trusted", {})),
                                      answer("done")])
    agent = spec(tools=["asking", "trusted"],
                 tool_policies={"asking": "auto", "trusted": "deny"})
    _, events, _ = run(tmp_path, agent, provider, registry(asking, trusted), approver=approver)
    assert asked == []                        # "asking" was made auto
    assert len(asking.started) == 1 and trusted.started == []
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    assert not results["a"].is_error
    assert results["t"].is_error and "does not allow" in results["t"].content


def test_tools_get_the_agent_workspace_created_on_demand(tmp_path):
    probe = SlowTool("probe")
    provider = RoundsProvider(LOCAL, [calls(("c", "probe", {})), answer("ok")])

    async def body(setup):
        runner = runner_for(setup, "go", provider, registry(probe))
        expected = setup.path.parent / "workspaces" / str(setup.agent.id)
        assert not expected.exists()
        await collect(runner.events())
        return expected, setup

    expected, setup = run_with_setup(tmp_path, spec(tools=["probe"]), [LOCAL], body)
    [context] = probe.contexts
    assert context.workspace == expected and expected.is_dir()
    assert context.agent_id == setup.agent.id
    assert context.conversation_id == setup.conversation_id
    assert context.store is setup.store


def test_agent_workspace_setting_is_used(tmp_path):
    probe = SlowTool("probe")
    folder = tmp_path / "my project"
    provider = RoundsProvider(LOCAL, [calls(("c", "probe", {})), answer("ok")])
    run(tmp_path, spec(tools=["probe"], workspace=str(folder)), provider, registry(probe))
    assert probe.contexts[0].workspace == folder and folder.is_dir()


def test_tools_the_agent_does_not_list_are_not_offered(tmp_path):
    provider = RoundsProvider(LOCAL, [answer("hi")])
    _, _, rows = run(tmp_path, spec(tools=["listed", "ghost"]), provider,
                     registry(SlowTool("listed"), SlowTool("unlisted")))
    assert [t.name for t in provider.requests[0].tools] == ["listed"]
    meta = json.loads(rows[-1]["meta"])
    assert meta["tool_problems"] == ["there is no tool named 'ghost'"]


def test_memory_block_is_added_to_the_system_prompt(tmp_path):
    from app.core.tools.memory import PROMPT_HEADER, memory_tool

    provider = RoundsProvider(LOCAL, [answer("hi")])

    async def body(setup):
        await setup.store.run(lambda s: s.memories.add(setup.agent.id, "Prefers tea"))
        runner = runner_for(setup, "hello", provider, registry(memory_tool()))
        await collect(runner.events())

    run_with_setup(tmp_path, spec(tools=["memory"]), [LOCAL], body)
    system = provider.requests[0].messages[0]
    assert system.role == "system"
    assert system.content.startswith("Use tools.")
    assert PROMPT_HEADER in system.content and "- Prefers tea" in system.content


def test_memory_block_is_absent_without_the_memory_tool(tmp_path):
    provider = RoundsProvider(LOCAL, [answer("hi")])

    async def body(setup):
        await setup.store.run(lambda s: s.memories.add(setup.agent.id, "Prefers tea"))
        await collect(runner_for(setup, "hello", provider, registry()).events())

    run_with_setup(tmp_path, spec(), [LOCAL], body)
    assert provider.requests[0].messages[0].content == "Use tools."


def test_repeated_call_ids_in_one_round_are_made_unique(tmp_path):
    probe = SlowTool("probe")
    provider = RoundsProvider(LOCAL, [calls(("same", "probe", {"x": 1}),
                                            ("same", "probe", {"x": 2})), answer("ok")])
    _, events, rows = run(tmp_path, spec(tools=["probe"]), provider, registry(probe))
    call_ids = [e.call_id for e in events if isinstance(e, ToolCall)]
    assert len(set(call_ids)) == 2
    assert sorted(r["tool_call_id"] for r in rows if r["role"] == "tool") == sorted(call_ids)


def test_history_of_earlier_tool_turns_is_sent_in_later_turns(tmp_path):
    adder = FunctionTool(lambda a, b: str(a + b), name="add")
    provider = RoundsProvider(LOCAL, [calls(("c1", "add", {"a": 1, "b": 1})),
                                      answer("two"), answer("sure")])

    async def body(setup):
        await collect(runner_for(setup, "1+1?", provider, registry(adder)).events())
        await collect(runner_for(setup, "thanks", provider, registry(adder)).events())

    run_with_setup(tmp_path, spec(tools=["add"]), [LOCAL], body)
    third = provider.requests[2]
    assert [(m.role, m.content) for m in third.messages] == [
        ("system", "Use tools."), ("user", "1+1?"), ("assistant", ""), ("tool", "2"),
        ("assistant", "two"), ("user", "thanks")]
    assert third.messages[3].tool_call_id == "c1"
