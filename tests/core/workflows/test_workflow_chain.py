"""Chain workflows on scripted providers: exact step order, what each step is
given, how the steps are stored, and Stop at each step."""

from __future__ import annotations

import asyncio

import pytest

from app.domain import TextDelta
from app.domain.workflow import StepEvent, WorkflowEnd, WorkflowSpec
from tests.support.scripted_providers import answer
from tests.support.turn_helpers import messages_of
from tests.support.workflow_helpers import Cast, collect_run, kinds, run_workflow_test, stop_when

CHAIN = WorkflowSpec(name="Review", kind="chain", agents=["Drafter", "Critic", "Editor"])


def three(cast: Cast) -> None:
    cast.add("Drafter", answer("draft ", "one"))
    cast.add("Critic", answer("critique of draft"))
    cast.add("Editor", answer("final text"))


def test_a_chain_runs_each_agent_in_order_on_the_previous_answer(tmp_path):
    cast = Cast()
    three(cast)

    async def body(setup):
        prepared, events = await collect_run(setup, cast, "Write a haiku")
        return prepared, events, messages_of(setup.path, prepared.conversation.id)

    prepared, events, rows = run_workflow_test(tmp_path, cast, CHAIN, body)
    assert cast.log == [("Drafter", "Write a haiku"), ("Critic", "draft one"),
                        ("Editor", "critique of draft")]
    assert kinds(events) == ["start:Drafter", "end:Drafter:complete", "start:Critic",
                             "end:Critic:complete", "start:Editor", "end:Editor:complete",
                             "workflow:complete"]
    assert events[-1] == WorkflowEnd(conversation_id=prepared.conversation.id,
                                     status="complete", answer="final text")
    tokens = [(e.step, e.event.text) for e in events
              if isinstance(e, StepEvent) and isinstance(e.event, TextDelta)]
    assert tokens == [(1, "draft "), (1, "one"), (2, "critique of draft"), (3, "final text")]
    # One line of messages: the question, then each step's reply after the last.
    assert [(r["role"], r["content"], r["status"]) for r in rows] == [
        ("user", "Write a haiku", "complete"), ("assistant", "draft one", "complete"),
        ("assistant", "critique of draft", "complete"), ("assistant", "final text", "complete")]
    assert [r["parent_id"] for r in rows] == [None] + [r["id"] for r in rows[:-1]]
    assert [r["model"] for r in rows[1:]] == ["model-drafter", "model-critic", "model-editor"]
    assert prepared.conversation.origin == "workflow"
    import json
    steps = [json.loads(r["meta"])["workflow"] for r in rows[1:]]
    assert [(s["step"], s["agent"], s["role"]) for s in steps] == [
        (1, "Drafter", "step"), (2, "Critic", "step"), (3, "Editor", "step")]


def test_each_step_sees_only_its_input_and_its_system_prompt(tmp_path):
    cast = Cast()
    three(cast)

    async def body(setup):
        await collect_run(setup, cast, "Write a haiku")

    run_workflow_test(tmp_path, cast, CHAIN, body)
    critic = cast.providers["p-critic"].requests[0]
    assert [(m.role, m.content) for m in critic.messages] == [
        ("system", "You are Critic."), ("user", "draft one")]


def test_a_failed_step_ends_the_chain_with_an_error_naming_it(tmp_path):
    cast = Cast()
    cast.add("Drafter", answer("draft"))
    cast.add("Critic", [TextDelta(text="half"), RuntimeError("boom")])
    cast.add("Editor", answer("never"))

    async def body(setup):
        return await collect_run(setup, cast, "q")

    _prepared, events = run_workflow_test(tmp_path, cast, CHAIN, body)
    end = events[-1]
    assert end.status == "error" and "step 2 (Critic)" in end.error
    assert cast.order() == ["Drafter", "Critic"]


@pytest.mark.parametrize("stop_at", [0, 1, 2])
def test_stop_at_each_step_keeps_the_finished_steps_and_cancels_the_running_one(
        tmp_path, stop_at):
    reached = asyncio.Event()
    cast = Cast()
    scripts = [answer("draft"), answer("critique"), answer("final")]
    scripts[stop_at] = [TextDelta(text="so far"), lambda request: reached.set(), 30.0,
                        *answer(" never")]
    for name, script in zip(CHAIN.agents, scripts):
        cast.add(name, script)

    async def body(setup):
        prepared, seen = await stop_when(setup, cast, "q", reached)
        return seen, messages_of(setup.path, prepared.conversation.id)

    seen, rows = run_workflow_test(tmp_path, cast, CHAIN, body)
    replies = [(r["content"], r["status"]) for r in rows if r["role"] == "assistant"]
    done = [("draft", "complete"), ("critique", "complete")][:stop_at]
    assert replies == [*done, ("so far", "cancelled")]
    assert not [r for r in rows if r["status"] == "streaming"]
    assert cast.order() == CHAIN.agents[:stop_at + 1]
    assert all(p.streams_closed == len(p.requests) for p in cast.providers.values())
