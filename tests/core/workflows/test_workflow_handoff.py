"""Hand-off workflows on scripted providers: ``ask_<agent>`` runs the asked
agent as a nested step; the depth limit and the loop guard refuse with a
reason the model reads; Stop inside a nested step cancels both."""

from __future__ import annotations

import asyncio
import json

from app.core.workflows.handoff import ask_tool_names
from app.domain import TextDelta, ToolResult
from app.domain.workflow import StepEvent, StepStart, WorkflowSpec
from tests.support.runner_helpers import calls
from tests.support.scripted_providers import answer
from tests.support.turn_helpers import messages_of
from tests.support.workflow_helpers import Cast, collect_run, kinds, run_workflow_test, stop_when

DESK = WorkflowSpec(name="Desk", kind="handoff", agents=["Lead", "Expert", "Checker"],
                    max_depth=2)


def tool_results(events) -> list[tuple[int, str, bool]]:
    return [(e.step, e.event.content, e.event.is_error) for e in events
            if isinstance(e, StepEvent) and isinstance(e.event, ToolResult)]


def test_ask_tool_names_are_slugs_and_unique():
    assert ask_tool_names(["Code Reviewer", "code-reviewer", "Ünï", "日本"]) == {
        "Code Reviewer": "ask_code_reviewer", "code-reviewer": "ask_code_reviewer_2",
        "Ünï": "ask_uni", "日本": "ask_agent"}


def test_an_agent_asks_another_and_answers_with_its_reply(tmp_path):
    cast = Cast()
    cast.add("Lead", calls(("c1", "ask_expert", {"question": "What is 2+2?"})),
             answer("The expert says 4"))
    cast.add("Expert", answer("4"))
    cast.add("Checker", answer("unused"))

    async def body(setup):
        prepared, events = await collect_run(setup, cast, "Sum?")
        return events, messages_of(setup.path, prepared.conversation.id)

    events, rows = run_workflow_test(tmp_path, cast, DESK, body)
    assert cast.log == [("Lead", "Sum?"), ("Expert", "What is 2+2?"), ("Lead", "4")]
    offered = {t.name for t in cast.providers["p-lead"].requests[0].tools}
    assert offered == {"ask_expert", "ask_checker"}
    assert kinds(events) == ["start:Lead", "start:Expert", "end:Expert:complete",
                             "end:Lead:complete", "workflow:complete"]
    expert = next(e for e in events if isinstance(e, StepStart) and e.agent == "Expert")
    assert (expert.step, expert.role, expert.depth, expert.parent) == (2, "handoff", 1, 1)
    assert tool_results(events) == [(1, "4", False)]
    assert events[-1].answer == "The expert says 4"
    stored = [(r["role"], r["content"], json.loads(r["meta"]).get("workflow", {}).get("agent"))
              for r in rows]
    assert stored == [("user", "Sum?", None), ("assistant", "", "Lead"),
                      ("user", "What is 2+2?", "Lead"), ("assistant", "4", "Expert"),
                      ("tool", "4", None), ("assistant", "The expert says 4", "Lead")]


def test_the_depth_limit_refuses_a_hand_off_too_deep(tmp_path):
    cast = Cast()
    cast.add("Lead", calls(("c1", "ask_expert", {"question": "q1"})), answer("lead done"))
    cast.add("Expert", calls(("c2", "ask_checker", {"question": "q2"})), answer("expert done"))
    cast.add("Checker", calls(("c3", "ask_lead", {"question": "q3"})), answer("checked"))
    spec = DESK.model_copy(update={"max_depth": 1})

    async def body(setup):
        return await collect_run(setup, cast, "go")

    _prepared, events = run_workflow_test(tmp_path, cast, spec, body)
    assert "Checker" not in cast.order()
    [(step, refusal, is_error), (_s, expert_answer, _e)] = tool_results(events)
    assert step == 2 and is_error
    assert "depth limit" in refusal and "'Expert'" in refusal and "'Checker'" in refusal
    assert expert_answer == "expert done"
    assert events[-1].status == "complete"


def test_the_loop_guard_refuses_asking_an_agent_that_is_already_asking(tmp_path):
    cast = Cast()
    cast.add("Lead", calls(("c1", "ask_expert", {"question": "q1"})), answer("lead done"))
    cast.add("Expert", calls(("c2", "ask_lead", {"question": "back to you"})),
             answer("expert done"))
    cast.add("Checker", answer("unused"))

    async def body(setup):
        return await collect_run(setup, cast, "go")

    _prepared, events = run_workflow_test(tmp_path, cast, DESK, body)
    assert cast.order() == ["Lead", "Expert", "Expert", "Lead"]
    refusal = tool_results(events)[0]
    assert refusal[0] == 2 and refusal[2]
    assert "loop guard" in refusal[1] and "Lead → Expert → Lead" in refusal[1]


def test_stop_during_a_nested_step_cancels_it_and_the_asking_step(tmp_path):
    reached = asyncio.Event()
    cast = Cast()
    cast.add("Lead", calls(("c1", "ask_expert", {"question": "q"})), answer("never"))
    cast.add("Expert", [TextDelta(text="thinking hard"), lambda r: reached.set(), 30.0])
    cast.add("Checker", answer("unused"))

    async def body(setup):
        prepared, seen = await stop_when(setup, cast, "go", reached)
        return messages_of(setup.path, prepared.conversation.id)

    rows = run_workflow_test(tmp_path, cast, DESK, body)
    assert not [r for r in rows if r["status"] == "streaming"]
    assert [(r["role"], r["status"]) for r in rows] == [
        ("user", "complete"), ("assistant", "complete"), ("user", "complete"),
        ("assistant", "cancelled"), ("tool", "cancelled")]
    assert rows[3]["content"] == "thinking hard"


def test_stop_in_the_first_step_before_any_hand_off(tmp_path):
    reached = asyncio.Event()
    cast = Cast()
    cast.add("Lead", [TextDelta(text="let me think"), lambda r: reached.set(), 30.0])
    cast.add("Expert", answer("unused"))
    cast.add("Checker", answer("unused"))

    async def body(setup):
        prepared, seen = await stop_when(setup, cast, "go", reached)
        return seen, messages_of(setup.path, prepared.conversation.id)

    seen, rows = run_workflow_test(tmp_path, cast, DESK, body)
    assert [(r["role"], r["content"], r["status"]) for r in rows] == [
        ("user", "go", "complete"), ("assistant", "let me think", "cancelled")]
    assert cast.order() == ["Lead"]
    assert kinds(seen) == ["start:Lead"]
