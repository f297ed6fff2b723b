"""Provider repository: CRUD, duplicate names, not found, change notices."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.domain import ProviderConfig
from app.store import ChangeNotice, DuplicateNameError, NotFoundError, Store


def config(name: str = "local-ollama", **fields) -> ProviderConfig:
    values = {"kind": "ollama", "base_url": "http://127.0.0.1:11434"} | fields
    return ProviderConfig(name=name, **values)


def test_create_and_get_round_trip_all_fields(store: Store) -> None:
    created = store.providers.create(config(
        "openai", kind="openai", base_url="https://api.openai.com/v1",
        api_key_ref="env:OPENAI_API_KEY", enabled=False, is_local=False,
    ))
    assert created.id is not None
    assert store.providers.get(created.id) == created
    assert created.kind == "openai"
    assert created.api_key_ref == "env:OPENAI_API_KEY"
    assert created.enabled is False
    assert created.is_local is False
    assert created.model_path is None


def test_embedded_provider_keeps_model_path(store: Store) -> None:
    created = store.providers.create(
        config("gemma", kind="embedded", base_url="", model_path="/models/g.gguf"))
    assert store.providers.get(created.id).model_path == "/models/g.gguf"


def test_list_in_creation_order(store: Store) -> None:
    names = ["zeta", "alpha", "mid"]
    for name in names:
        store.providers.create(config(name))
    assert [p.name for p in store.providers.list()] == names


def test_find_by_name_is_case_insensitive(store: Store) -> None:
    created = store.providers.create(config("LM Studio", kind="lmstudio"))
    assert store.providers.find_by_name("lm studio") == created
    assert store.providers.get_by_name(" LM STUDIO ") == created
    assert store.providers.find_by_name("studio") is None
    with pytest.raises(NotFoundError):
        store.providers.get_by_name("missing")


def test_duplicate_name_refused_on_create_and_update(store: Store) -> None:
    store.providers.create(config("one"))
    two = store.providers.create(config("two"))

    with pytest.raises(DuplicateNameError):
        store.providers.create(config("ONE"))
    with pytest.raises(DuplicateNameError):
        store.providers.update(two.model_copy(update={"name": "One"}))
    assert store.providers.get(two.id).name == "two"


def test_update_changes_fields(store: Store) -> None:
    created = store.providers.create(config())
    updated = store.providers.update(
        created.model_copy(update={"base_url": "http://10.0.0.2:11434", "enabled": False}))
    assert updated.base_url == "http://10.0.0.2:11434"
    assert updated.enabled is False
    assert store.providers.get(created.id) == updated


def test_missing_provider_operations_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.providers.get(1)
    with pytest.raises(NotFoundError):
        store.providers.delete(1)
    with pytest.raises(NotFoundError):
        store.providers.update(config().model_copy(update={"id": 77}))
    with pytest.raises(NotFoundError):
        store.providers.update(config())  # never stored: no id


def test_delete_removes_provider(store: Store) -> None:
    keep = store.providers.create(config("keep"))
    gone = store.providers.create(config("gone"))
    store.providers.delete(gone.id)
    assert store.providers.list() == [keep]


def test_unknown_kind_rejected_by_domain_model() -> None:
    with pytest.raises(ValidationError):
        ProviderConfig(name="x", kind="bogus")


def test_provider_writes_emit_change_notices(store: Store,
                                             notices: list[ChangeNotice]) -> None:
    created = store.providers.create(config())
    store.providers.update(created.model_copy(update={"enabled": False}))
    store.providers.delete(created.id)
    assert notices == [
        ChangeNotice("provider", "insert", (created.id,)),
        ChangeNotice("provider", "update", (created.id,)),
        ChangeNotice("provider", "delete", (created.id,)),
    ]
