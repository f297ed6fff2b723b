"""Generation settings in the agents table: round trip, revisions, restore,
and a database reopened from its file."""

from __future__ import annotations

import json
from pathlib import Path

from app.domain import AgentSpec
from app.domain.generation import GenerationSettings
from app.store import Store

SETTINGS = GenerationSettings(top_p=0.8, repeat_penalty=1.2, context_length=8192,
                              seed=1234, stop=["###", "\n\n"])


def test_settings_round_trip_and_are_stored_compactly(store: Store, db_path: Path) -> None:
    created = store.agents.create(AgentSpec(name="Sampler", generation=SETTINGS))
    assert store.agents.get(created.id).generation == SETTINGS
    raw = store.db.execute_sql("SELECT generation FROM agents WHERE id = ?",
                               (created.id,)).fetchone()[0]
    assert json.loads(raw) == SETTINGS.compact()
    plain = store.agents.create(AgentSpec(name="Plain"))
    raw = store.db.execute_sql("SELECT generation FROM agents WHERE id = ?",
                               (plain.id,)).fetchone()[0]
    assert raw == "{}"
    store.close()
    reopened = Store(db_path)
    try:
        assert reopened.agents.get(created.id).generation == SETTINGS
        assert reopened.agents.get(plain.id).generation == GenerationSettings()
    finally:
        reopened.close()


def test_changing_a_setting_is_a_new_revision_that_keeps_the_old_one(store: Store) -> None:
    created = store.agents.create(AgentSpec(name="Sampler", generation=SETTINGS))
    changed = SETTINGS.model_copy(update={"seed": None, "stop": ["END"]})
    updated = store.agents.update(created.model_copy(update={"generation": changed}))
    assert updated.revision == 2 and updated.generation == changed

    revisions = store.agents.revisions(created.id)
    assert [r.revision for r in revisions] == [2, 1]
    assert revisions[0].spec.generation == changed
    assert revisions[1].spec.generation == SETTINGS

    restored = store.agents.restore_revision(created.id, 1)
    assert restored.revision == 3 and restored.generation == SETTINGS


def test_saving_the_same_settings_again_is_no_new_revision(store: Store) -> None:
    created = store.agents.create(AgentSpec(name="Sampler", generation=SETTINGS))
    same = created.model_copy(update={"generation": GenerationSettings(**SETTINGS.compact())})
    assert store.agents.update(same).revision == 1
