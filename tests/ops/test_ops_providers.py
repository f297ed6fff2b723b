"""app/ops/providers.py on a real Store and the in-memory keyring, without Qt:
saving (the key into the keyring first, rolled back both ways when the database
refuses), updating, removing, and the one URL check with each kind's example."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.core.secrets import SERVICE, SecretError
from app.domain import AgentSpec, ProviderConfig
from app.domain.agent import FallbackTarget
from app.domain.provider import DEFAULT_BASE_URLS
from app.ops import providers
from app.ops.providers import ProviderInputError, save_provider, url_problem
from app.store import DuplicateNameError, NotFoundError, Store
from tests.support.memory_keyring import MemoryKeyring, installed

OLD_KEY = "sk-old-0123456789-OLD"
NEW_KEY = "sk-new-9876543210-NEW"


@pytest.fixture
def keys() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as backend:
        yield backend


def cloud(name: str = "cloud", **extra) -> ProviderConfig:
    return ProviderConfig(name=name, kind="openai", base_url="https://api.openai.com/v1",
                          is_local=False, **extra)


def entry(name: str) -> tuple[str, str]:
    return (SERVICE, f"provider:{name}")


# -- saving --------------------------------------------------------------------------------
def test_a_new_provider_with_a_key_keeps_only_the_reference(store: Store, keys) -> None:
    saved = save_provider(store, cloud(), api_key=NEW_KEY)
    assert saved.id is not None and saved.api_key_ref == "keyring:provider:cloud"
    assert keys.entries == {entry("cloud"): NEW_KEY}
    assert store.providers.get(saved.id) == saved


def test_a_refused_create_removes_the_key_it_stored(store: Store, keys) -> None:
    save_provider(store, cloud("Cloud"))
    with pytest.raises(DuplicateNameError):
        save_provider(store, cloud("cloud"), api_key=NEW_KEY)   # names compare without case
    assert keys.entries == {}
    assert [p.api_key_ref for p in store.providers.list()] == [None]


def test_a_refused_update_restores_the_key_it_overwrote(store: Store, keys) -> None:
    first = save_provider(store, cloud("first"), api_key=OLD_KEY)
    second = save_provider(store, cloud("second"))
    # Renaming "second" to "first" writes the new key under "first"'s entry,
    # then the database refuses the name: "first" must keep its own key.
    renamed = second.model_copy(update={"name": "first"})
    with pytest.raises(DuplicateNameError):
        save_provider(store, renamed, api_key=NEW_KEY)
    assert keys.entries == {entry("first"): OLD_KEY}
    assert store.providers.get(first.id).api_key_ref == "keyring:provider:first"
    assert store.providers.get(second.id).api_key_ref is None


def test_a_refused_update_of_the_same_entry_puts_the_old_key_back(store: Store, keys) -> None:
    saved = save_provider(store, cloud(), api_key=OLD_KEY)
    store.providers.delete(saved.id)            # gone meanwhile (another window, the CLI)
    keys.entries[entry("cloud")] = OLD_KEY
    with pytest.raises(NotFoundError):
        save_provider(store, saved, api_key=NEW_KEY)
    assert keys.entries == {entry("cloud"): OLD_KEY}


def test_updating_the_key_replaces_it_and_nothing_else(store: Store, keys) -> None:
    saved = save_provider(store, cloud(), api_key=OLD_KEY)
    updated = save_provider(store, saved.model_copy(update={"enabled": False}),
                            api_key=NEW_KEY)
    assert updated.api_key_ref == saved.api_key_ref and not updated.enabled
    assert keys.entries == {entry("cloud"): NEW_KEY}


def test_a_rename_with_a_new_key_drops_the_old_entry(store: Store, keys) -> None:
    saved = save_provider(store, cloud("old"), api_key=OLD_KEY)
    renamed = save_provider(store, saved.model_copy(update={"name": "new"}), api_key=NEW_KEY)
    assert renamed.api_key_ref == "keyring:provider:new"
    assert keys.entries == {entry("new"): NEW_KEY}


def test_an_update_without_a_key_keeps_the_stored_reference(store: Store, keys) -> None:
    saved = save_provider(store, cloud(), api_key=OLD_KEY)
    updated = save_provider(store, saved.model_copy(update={"base_url": "https://x.test/v1"}))
    assert updated.api_key_ref == "keyring:provider:cloud"
    assert keys.entries == {entry("cloud"): OLD_KEY}


def test_an_environment_variable_replaces_a_keyring_key(store: Store, keys) -> None:
    saved = save_provider(store, cloud(), api_key=OLD_KEY)
    updated = save_provider(store, saved, api_key_env="MY_KEY")
    assert updated.api_key_ref == "env:MY_KEY"
    assert keys.entries == {}                    # the obsolete key is deleted
    with pytest.raises(ProviderInputError):
        save_provider(store, updated, api_key_env="sk-pasted-the-key-itself!")
    assert store.providers.get(saved.id).api_key_ref == "env:MY_KEY"


def test_without_a_keyring_nothing_is_written(store: Store) -> None:
    from keyring.backends import fail

    with installed(fail.Keyring()), pytest.raises(SecretError):
        save_provider(store, cloud(), api_key=NEW_KEY)
    assert store.providers.list() == []


def test_the_keyring_is_a_parameter(store: Store) -> None:
    class Recorded:
        def __init__(self) -> None:
            self.entries: dict[str, str] = {}

        def read(self, name: str) -> str | None:
            return self.entries.get(name)

        def store(self, name: str, secret: str) -> str:
            self.entries[name] = secret
            return f"keyring:{name}"

        def delete(self, reference: str | None) -> None:
            self.entries.pop((reference or "").removeprefix("keyring:"), None)

    own = Recorded()
    saved = save_provider(store, cloud(), api_key=NEW_KEY, keyring=own)
    assert own.entries == {"provider:cloud": NEW_KEY}
    providers.remove_provider(store, saved.name, keyring=own)
    assert own.entries == {}


# -- removing and listing --------------------------------------------------------------------
def test_removing_deletes_the_key_and_names_the_agents_using_it(store: Store, keys) -> None:
    save_provider(store, cloud(), api_key=OLD_KEY)
    other = save_provider(store, cloud("other"))
    store.agents.create(AgentSpec(name="Main", provider="Cloud", model="m"))
    store.agents.create(AgentSpec(name="Backup", provider="other", model="m",
                                  fallbacks=[FallbackTarget(provider="cloud", model="m")]))
    store.agents.create(AgentSpec(name="Unrelated", provider="other", model="m"))

    removal = providers.remove_provider(store, "CLOUD")
    assert removal.config.name == "cloud"
    assert sorted(removal.agents_using_it) == ["Backup", "Main"]
    assert keys.entries == {}
    assert providers.list_providers(store) == [other]
    with pytest.raises(NotFoundError):
        providers.remove_provider(store, "cloud")


def test_find_is_case_insensitive(store: Store, keys) -> None:
    saved = save_provider(store, cloud("Cloud"))
    assert providers.find(store, "cLoUd") == saved
    assert providers.find(store, "nope") is None


# -- the URL check ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["ollama", "lmstudio", "llamacpp", "openai"])
def test_each_kind_accepts_its_default_and_names_it_as_the_example(kind: str) -> None:
    assert url_problem(kind, DEFAULT_BASE_URLS[kind]) is None
    assert url_problem(kind, "  https://gpu-box.lan:9000/v1  ") is None
    problem = url_problem(kind, "not a url")
    assert problem is not None and problem.endswith(DEFAULT_BASE_URLS[kind])


def test_the_openai_kind_is_not_shown_the_ollama_port() -> None:
    problem = url_problem("openai", "api.openai.com/v1")
    assert problem == "Enter an http(s) address like https://api.openai.com/v1"
    assert "11434" not in problem


@pytest.mark.parametrize("url", ["", "ftp://host/v1", "127.0.0.1:8080", "http://",
                                 "http://[::1", "file:///etc/passwd", "javascript:alert(1)"])
def test_what_is_not_an_http_server_address_is_refused(url: str) -> None:
    assert url_problem("llamacpp", url) is not None


def test_the_embedded_engine_has_no_url() -> None:
    assert url_problem("embedded", "") is None
