"""app/ops/workflows.py on a real Store: saving checks the agents, export and
import carry the agents along, a run is prepared into a workflow conversation."""

from __future__ import annotations

import json

import pytest

from app.core.workflows import WorkflowRefused
from app.core.workflows.workflow_file import WorkflowFileError
from app.domain import AgentSpec, ProviderConfig
from app.domain.workflow import WorkflowSpec
from app.ops import workflows as ops
from app.store import Store

PANEL = WorkflowSpec(name="Panel", kind="parallel", agents=["Alpha", "Beta"],
                     synthesis="Judge")


@pytest.fixture
def cast(store: Store) -> list[AgentSpec]:
    store.providers.create(ProviderConfig(name="home", kind="llamacpp",
                                          base_url="http://127.0.0.1:9/v1", is_local=True))
    return [store.agents.create(AgentSpec(name=n, provider="home", model="m",
                                          system_prompt=f"I am {n}"))
            for n in ("Alpha", "Beta", "Judge")]


def test_saving_needs_every_agent(store: Store, cast) -> None:
    with pytest.raises(ops.WorkflowProblem, match="do not exist: 'Nobody'"):
        ops.create(store, PANEL.model_copy(update={"synthesis": "Nobody"}))
    created = ops.save(store, PANEL)
    assert ops.find(store, "panel") == created == ops.find(store, str(created.id))
    assert ops.find(store, "999") is None
    saved = ops.save(store, created.model_copy(update={"description": "three views"}))
    assert [r.revision for r in ops.history(store, created.id)] == [2, 1]
    assert ops.restore(store, created.id, 1).description == ""
    assert ops.delete(store, saved.id).name == "Panel"
    assert ops.list_workflows(store) == []


def test_export_then_import_on_another_database(store: Store, cast, tmp_path) -> None:
    created = ops.create(store, PANEL)
    path = ops.export_workflow(store, created, tmp_path / "panel.json")
    data = json.loads(path.read_text())
    assert data["format"] == "agentdesk.workflow"
    assert [a["agent"]["name"] for a in data["agents"]] == ["Alpha", "Beta", "Judge"]
    with Store(tmp_path / "other.db") as other:
        other.agents.create(AgentSpec(name="Alpha", provider="x", model="m"))
        imported = ops.import_workflow(other, path)
        assert imported.created_agents == ["Beta", "Judge"]
        assert imported.missing_providers == ["home"]
        assert imported.workflow.agents == ["Alpha", "Beta"]
        assert other.agents.get_by_name("Alpha").provider == "x"     # left alone
        again = ops.import_workflow(other, path)
        assert again.workflow.name == "Panel (2)" and again.created_agents == []


def test_a_file_that_is_no_workflow_is_refused(store: Store, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "agentdesk.agent", "version": 1}))
    with pytest.raises(WorkflowFileError, match="not an AgentDesk workflow file"):
        ops.import_workflow(store, bad)
    bad.write_text(json.dumps({"format": "agentdesk.workflow", "version": 1,
                               "workflow": {"name": "W", "kind": "chain", "agents": ["A"]}}))
    with pytest.raises(WorkflowFileError, match="at least two"):
        ops.import_workflow(store, bad)
    assert ops.list_workflows(store) == []


def test_prepare_run_starts_a_workflow_conversation(store: Store, cast) -> None:
    created = ops.create(store, PANEL)
    prepared = ops.prepare_run(store, created, "Which is faster?")
    assert prepared.conversation.origin == "workflow"
    assert prepared.conversation.agent_id == cast[0].id
    assert prepared.conversation.title.startswith("Panel: Which is faster?")
    assert [a.name for a in prepared.agents] == ["Alpha", "Beta", "Judge"]
    with pytest.raises(ops.WorkflowProblem, match="empty"):
        ops.prepare_run(store, created, "  ")


def test_prepare_run_refuses_a_local_only_leak(store: Store, cast) -> None:
    store.providers.create(ProviderConfig(name="cloud", kind="openai",
                                          base_url="https://api.example.com/v1",
                                          is_local=False))
    judge = store.agents.get_by_name("Judge")
    store.agents.update(judge.model_copy(update={"provider": "cloud"}))
    alpha = store.agents.get_by_name("Alpha")
    store.agents.update(alpha.model_copy(update={"local_only": True}))
    created = ops.create(store, PANEL)
    with pytest.raises(WorkflowRefused, match="'Alpha'.*'Judge'"):
        ops.prepare_run(store, created, "q")
    assert store.conversations.list() == []
