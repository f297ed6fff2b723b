"""Schema v14: workflows stored like agents, with revisions."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.domain.workflow import WorkflowSpec
from app.store import DuplicateNameError, NotFoundError, Store
from app.store.database import open_database
from app.store.migrations import migrate
from tests.store.test_store_migrations import write_first_schema_database

CHAIN = WorkflowSpec(name="Review", kind="chain", agents=["Drafter", "Critic"],
                     description="draft, then critique")


def test_an_older_database_gets_an_empty_workflow_table(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    write_first_schema_database(path)
    db = open_database(path)
    try:
        migrate(db, target=13)
    finally:
        db.close()
    with Store(path) as store:
        assert store.workflows.list() == []
        assert {c.origin for c in store.conversations.list(include_archived=True)} == {"app"}


def test_a_workflow_is_stored_read_back_and_revised(store: Store, notices) -> None:
    created = store.workflows.create(CHAIN)
    assert (created.id, created.revision, created.agents) == (1, 1, ["Drafter", "Critic"])
    assert store.workflows.find_by_name("REVIEW") == created
    unchanged = store.workflows.update(created)
    assert unchanged.revision == 1
    changed = store.workflows.update(created.model_copy(
        update={"agents": ["Drafter", "Critic", "Editor"], "name": "Review 2"}))
    assert changed.revision == 2 and changed.name == "Review 2"
    history = store.workflows.revisions(created.id)
    assert [(r.revision, r.spec.agents) for r in history] == [
        (2, ["Drafter", "Critic", "Editor"]), (1, ["Drafter", "Critic"])]
    restored = store.workflows.restore_revision(created.id, 1)
    assert (restored.revision, restored.agents, restored.name) == (
        3, ["Drafter", "Critic"], "Review")
    assert [(n.entity, n.op) for n in notices] == [
        ("workflow", "insert"), ("workflow", "update"), ("workflow", "update")]
    store.workflows.delete(created.id)
    with pytest.raises(NotFoundError):
        store.workflows.get(created.id)
    assert store.db.execute_sql("SELECT count(*) FROM workflow_revisions").fetchone()[0] == 0


def test_names_are_unique_case_insensitively(store: Store) -> None:
    store.workflows.create(CHAIN)
    with pytest.raises(DuplicateNameError):
        store.workflows.create(CHAIN.model_copy(update={"name": "review"}))


@pytest.mark.parametrize("values, problem", [
    ({"kind": "chain", "agents": ["A"]}, "at least two"),
    ({"kind": "handoff", "agents": ["A", "a"]}, "each agent once"),
    ({"kind": "parallel", "agents": ["A", "B"]}, "synthesis"),
    ({"kind": "chain", "agents": ["A", "B"], "synthesis": "C"}, "only a parallel"),
    ({"kind": "chain", "agents": ["A", " "]}, "blank"),
])
def test_a_workflow_that_does_not_fit_its_kind_is_refused(values, problem) -> None:
    with pytest.raises(ValidationError, match=problem):
        WorkflowSpec(name="W", **values)
