"""Agent repository: CRUD, names, revisions, validation, change notices."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from app.domain import AgentSpec, FallbackTarget
from app.domain.agent import NAME_MAX_LENGTH
from app.store import ChangeNotice, DuplicateNameError, NotFoundError, Store


def make(name: str = "Writer", **fields) -> AgentSpec:
    return AgentSpec(name=name, **fields)


def test_create_assigns_id_revision_and_round_trips_every_field(store: Store) -> None:
    spec = make(
        "Researcher", system_prompt="Be precise.", provider="ollama", model="qwen3:4b",
        temperature=1.3, max_tokens=512, streaming=False, tools=["web_fetch", "clock"],
        fallbacks=[FallbackTarget(provider="openai", model="gpt-4o-mini")],
        local_only=True, max_turns=6,
    )
    created = store.agents.create(spec)

    assert created.id is not None
    assert created.revision == 1
    fetched = store.agents.get(created.id)
    assert fetched == created
    assert fetched.portable() == spec.portable()
    assert fetched.created_at == fetched.updated_at


def test_get_missing_agent_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as info:
        store.agents.get(999)
    assert info.value.what == "agent"
    assert "999" in str(info.value)


def test_find_and_get_by_name_ignore_case_and_surrounding_space(store: Store) -> None:
    created = store.agents.create(make("Code Reviewer"))

    assert store.agents.find_by_name("code reviewer") == created
    assert store.agents.find_by_name("  CODE REVIEWER ") == created
    assert store.agents.get_by_name("Code reviewer") == created
    assert store.agents.find_by_name("Code") is None
    with pytest.raises(NotFoundError):
        store.agents.get_by_name("nobody")


def test_list_is_sorted_by_name_ignoring_case(store: Store) -> None:
    for name in ["beta", "Alpha", "gamma", "Delta"]:
        store.agents.create(make(name))

    assert [a.name for a in store.agents.list()] == ["Alpha", "beta", "Delta", "gamma"]


def test_list_of_empty_store_is_empty(store: Store) -> None:
    assert store.agents.list() == []


def test_duplicate_name_on_create_is_refused_case_insensitively(store: Store) -> None:
    store.agents.create(make("Writer"))

    with pytest.raises(DuplicateNameError) as info:
        store.agents.create(make("WRITER"))
    assert info.value.name == "WRITER"
    assert "already exists" in str(info.value)
    assert len(store.agents.list()) == 1


def test_rename_to_an_existing_name_is_refused_and_changes_nothing(store: Store) -> None:
    store.agents.create(make("Writer"))
    editor = store.agents.create(make("Editor"))

    with pytest.raises(DuplicateNameError):
        store.agents.update(editor.model_copy(update={"name": "writer"}))

    assert store.agents.get(editor.id) == editor
    assert [r.revision for r in store.agents.revisions(editor.id)] == [1]


def test_rename_changing_only_case_is_allowed(store: Store) -> None:
    created = store.agents.create(make("writer"))

    renamed = store.agents.update(created.model_copy(update={"name": "Writer"}))

    assert renamed.name == "Writer"
    assert renamed.revision == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * (NAME_MAX_LENGTH + 1)])
def test_domain_model_rejects_blank_or_too_long_names(name: str) -> None:
    with pytest.raises(ValidationError):
        AgentSpec(name=name)


def test_name_of_exactly_max_length_is_stored(store: Store) -> None:
    name = "n" * NAME_MAX_LENGTH
    assert store.agents.create(make(name)).name == name


def test_name_is_stored_stripped(store: Store) -> None:
    assert store.agents.create(make("  Padded  ")).name == "Padded"


@pytest.mark.parametrize("temperature", [-0.01, 2.01, 5])
def test_domain_model_rejects_temperature_outside_range(temperature: float) -> None:
    with pytest.raises(ValidationError):
        AgentSpec(name="a", temperature=temperature)


@pytest.mark.parametrize("temperature", [0.0, 2.0])
def test_temperature_bounds_are_accepted(store: Store, temperature: float) -> None:
    created = store.agents.create(make("edge", temperature=temperature))
    assert store.agents.get(created.id).temperature == temperature


def test_assignment_is_validated_too() -> None:
    spec = AgentSpec(name="a")
    with pytest.raises(ValidationError):
        spec.temperature = 3.0


def test_default_values_follow_the_spec() -> None:
    spec = AgentSpec(name="a")
    assert spec.temperature == 0.7
    assert spec.max_tokens == 2048


def test_update_creates_new_revision_and_keeps_previous(store: Store) -> None:
    created = store.agents.create(make("Writer", system_prompt="v1", temperature=0.2))

    updated = store.agents.update(
        created.model_copy(update={"system_prompt": "v2", "temperature": 0.9})
    )

    assert updated.revision == 2
    assert updated.system_prompt == "v2"
    assert updated.temperature == 0.9
    assert updated.created_at == created.created_at
    assert updated.updated_at >= created.updated_at
    assert store.agents.get(created.id) == updated

    revisions = store.agents.revisions(created.id)
    assert [r.revision for r in revisions] == [2, 1]  # newest first
    assert revisions[1].spec.system_prompt == "v1"
    assert revisions[1].spec.temperature == 0.2
    assert revisions[0].spec.portable() == updated.portable()
    assert all(r.agent_id == created.id for r in revisions)


def test_unchanged_update_makes_no_revision_and_no_notice(
        store: Store, notices: list[ChangeNotice]) -> None:
    created = store.agents.create(make("Writer"))
    notices.clear()

    same = store.agents.update(created.model_copy())

    assert same == created
    assert [r.revision for r in store.agents.revisions(created.id)] == [1]
    assert notices == []


def test_update_without_id_or_of_missing_agent_raises(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.agents.update(make("ghost"))
    with pytest.raises(NotFoundError):
        store.agents.update(make("ghost").model_copy(update={"id": 4242}))


def test_restore_revision_makes_old_state_current_as_new_revision(store: Store) -> None:
    created = store.agents.create(make("Writer", system_prompt="first", tools=["a"]))
    store.agents.update(created.model_copy(update={"system_prompt": "second"}))
    store.agents.update(store.agents.get(created.id).model_copy(
        update={"system_prompt": "third", "tools": []}))

    restored = store.agents.restore_revision(created.id, 1)

    assert restored.revision == 4
    assert restored.system_prompt == "first"
    assert restored.tools == ["a"]
    assert [r.revision for r in store.agents.revisions(created.id)] == [4, 3, 2, 1]
    assert store.agents.revisions(created.id)[1].spec.system_prompt == "third"


def test_restore_unknown_revision_raises(store: Store) -> None:
    created = store.agents.create(make("Writer"))
    with pytest.raises(NotFoundError):
        store.agents.restore_revision(created.id, 7)
    with pytest.raises(NotFoundError):
        store.agents.restore_revision(12345, 1)


def test_revision_snapshot_in_database_matches_spec(store: Store) -> None:
    created = store.agents.create(make("Writer", tools=["clock"], max_turns=3))
    raw = store.db.execute_sql(
        "SELECT spec FROM agent_revisions WHERE agent_id = ? AND revision = 1",
        (created.id,),
    ).fetchone()[0]
    snapshot = json.loads(raw)
    assert snapshot["tools"] == ["clock"]
    assert snapshot["max_turns"] == 3
    assert snapshot["name"] == "Writer"


def test_delete_removes_agent_and_missing_delete_raises(store: Store) -> None:
    keep = store.agents.create(make("Keep"))
    gone = store.agents.create(make("Gone"))

    store.agents.delete(gone.id)

    assert [a.id for a in store.agents.list()] == [keep.id]
    with pytest.raises(NotFoundError):
        store.agents.get(gone.id)
    with pytest.raises(NotFoundError):
        store.agents.delete(gone.id)
    with pytest.raises(NotFoundError):
        store.agents.revisions(gone.id)


def test_deleted_name_can_be_reused(store: Store) -> None:
    first = store.agents.create(make("Writer"))
    store.agents.delete(first.id)
    second = store.agents.create(make("writer"))
    assert second.id != first.id
    assert [r.revision for r in store.agents.revisions(second.id)] == [1]


def test_agent_writes_emit_change_notices(store: Store, notices: list[ChangeNotice]) -> None:
    created = store.agents.create(make("Writer"))
    store.agents.update(created.model_copy(update={"model": "other"}))
    store.agents.restore_revision(created.id, 1)
    store.agents.delete(created.id)

    assert notices == [
        ChangeNotice("agent", "insert", (created.id,), None),
        ChangeNotice("agent", "update", (created.id,), None),
        ChangeNotice("agent", "update", (created.id,), None),
        ChangeNotice("agent", "delete", (created.id,), None),
    ]


def test_failed_writes_emit_no_notice(store: Store, notices: list[ChangeNotice]) -> None:
    store.agents.create(make("Writer"))
    notices.clear()
    with pytest.raises(DuplicateNameError):
        store.agents.create(make("writer"))
    with pytest.raises(NotFoundError):
        store.agents.delete(999)
    assert notices == []


def test_unsubscribe_stops_notices(store: Store) -> None:
    seen: list[ChangeNotice] = []
    unsubscribe = store.subscribe(seen.append)
    store.agents.create(make("One"))
    unsubscribe()
    store.agents.create(make("Two"))
    assert [n.op for n in seen] == ["insert"]
