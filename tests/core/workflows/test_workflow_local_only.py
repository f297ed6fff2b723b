"""The local-only guarantee inside workflows: a workflow that would carry a
local-only agent's input or output to an agent that can use a cloud provider
is refused before it runs (naming both), and so is such a hand-off at the
moment it is asked for."""

from __future__ import annotations

import pytest

from app.core.workflows import WorkflowRefused, check_workflow
from app.core.workflows.guard import cloud_provider
from app.domain import AgentSpec, FallbackTarget, ToolResult
from app.domain.workflow import StepEvent, WorkflowSpec
from app.ops import workflows as workflow_ops
from tests.support.runner_helpers import calls
from tests.support.scripted_providers import answer, config
from tests.support.turn_helpers import read_rows
from tests.support.workflow_helpers import Cast, collect_run, run_workflow_test

HOME, CLOUD = config("home"), config("cloud", local=False)


def agent(name: str, provider: str = "home", **extra) -> AgentSpec:
    return AgentSpec(name=name, provider=provider, model="m", **extra)


def test_cloud_provider_sees_fallbacks_and_auto_but_never_a_local_only_agent():
    configs = [HOME, CLOUD]
    assert cloud_provider(agent("a"), configs) is None
    assert cloud_provider(agent("a", "cloud"), configs) == "cloud"
    assert cloud_provider(agent("a", fallbacks=[FallbackTarget(provider="cloud", model="m")]),
                          configs) == "cloud"
    assert cloud_provider(agent("a", "auto"), configs) == "cloud"
    assert cloud_provider(agent("a", "auto"), [HOME]) is None
    assert cloud_provider(agent("a", "cloud", local_only=True), configs) is None
    disabled = CLOUD.model_copy(update={"enabled": False})
    assert cloud_provider(agent("a", "cloud"), [HOME, disabled]) is None


@pytest.mark.parametrize("kind, names, synthesis, refused", [
    ("chain", ["Private", "Public"], None, True),           # its answer goes on
    ("chain", ["Public", "Private"], None, False),          # nothing comes after it
    ("chain", ["Private", "Local", "Public"], None, True),  # passed on further down
    ("handoff", ["Local", "Private", "Public"], None, True),
    ("handoff", ["Public", "Local"], None, False),
    ("parallel", ["Private", "Local"], "Public", True),     # the synthesis reads it
    ("parallel", ["Private", "Public"], "Local", True),     # the branches share the question
    ("parallel", ["Local", "Public"], "Private", False),
])
def test_the_shape_of_a_workflow_is_checked_before_it_runs(kind, names, synthesis, refused):
    cast = {"Private": agent("Private", local_only=True), "Local": agent("Local"),
            "Public": agent("Public", "cloud")}
    spec = WorkflowSpec(name="W", kind=kind, agents=names, synthesis=synthesis)
    agents = [cast[n] for n in [*names, *([synthesis] if synthesis else [])]]
    if not refused:
        check_workflow(spec, agents, [HOME, CLOUD])
        return
    with pytest.raises(WorkflowRefused) as caught:
        check_workflow(spec, agents, [HOME, CLOUD])
    text = str(caught.value)
    assert "'Private'" in text and "'Public'" in text and "'cloud'" in text
    assert "local-only" in text


def test_a_refused_workflow_sends_nothing_and_starts_no_conversation(tmp_path):
    cast = Cast()
    cast.add("Private", answer("secret"), local_only=True)
    cast.add("Public", answer("x"), local=False)
    spec = WorkflowSpec(name="Leak", kind="chain", agents=["Private", "Public"])

    async def body(setup):
        with pytest.raises(WorkflowRefused, match="local-only agent 'Private'.*'Public'"):
            await collect_run(setup, cast, "my secret plan")
        return read_rows(setup.path, "SELECT * FROM conversations")

    assert run_workflow_test(tmp_path, cast, spec, body) == []
    assert cast.log == []


def test_a_hand_off_is_checked_again_when_it_is_asked_for(tmp_path):
    """Expert was an ordinary local agent when the run was checked; made
    local-only during the run, it may no longer answer the cloud agent Lead."""
    cast = Cast()
    expert_ref: dict = {}

    def make_expert_local_only(request):
        store = expert_ref["setup"].store
        return store.run(lambda s: s.agents.update(
            s.agents.get_by_name("Expert").model_copy(update={"local_only": True})))

    cast.add("Lead", [make_expert_local_only,
                      *calls(("c1", "ask_expert", {"question": "private q"}))],
             answer("answered alone"), local=False)
    cast.add("Expert", answer("never"))
    spec = WorkflowSpec(name="Desk", kind="handoff", agents=["Lead", "Expert"])

    async def body(setup):
        expert_ref["setup"] = setup
        return await collect_run(setup, cast, "go")

    _prepared, events = run_workflow_test(tmp_path, cast, spec, body)
    assert cast.order() == ["Lead", "Lead"]
    [refusal] = [e.event for e in events
                 if isinstance(e, StepEvent) and isinstance(e.event, ToolResult)]
    assert refusal.is_error
    assert "hand-off to 'Expert' refused" in refusal.content
    assert "'Lead'" in refusal.content and "local-only" in refusal.content


def test_prepare_run_names_agents_that_are_gone(tmp_path):
    cast = Cast()
    cast.add("A", answer("x"))
    cast.add("B", answer("y"))
    spec = WorkflowSpec(name="W", kind="chain", agents=["A", "B"])

    async def body(setup):
        await setup.store.run(lambda s: s.agents.delete(s.agents.get_by_name("B").id))
        with pytest.raises(workflow_ops.WorkflowProblem, match="do not exist: 'B'"):
            await setup.store.run(lambda s: workflow_ops.prepare_run(s, setup.spec, "q"))

    run_workflow_test(tmp_path, cast, spec, body)
