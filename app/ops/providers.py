"""Providers: the URL check, saving one (with its API key), removing one, the list.

- ``url_problem``: the one check of a provider's base URL (Settings' editor,
  ``agentdesk providers add --url``), naming the kind's own example address;
  it refuses a credential in the URL (``user:key@``, ``?api_key=``, ``?key=``,
  ``?token=`` …, a ``#`` part). ``url_credential_warning`` names a provider
  stored before that rule; ``shown`` redacts a config for output.
- ``save_provider``: create or update a provider; a new API key goes into the
  keyring *first* and the database only keeps the reference
  (``keyring:provider:<name>``). If the database write then fails, the
  keyring is put back as it was: a key stored for a new entry is removed, a
  key it overwrote is restored. After a successful save a reference the
  provider no longer uses is deleted.
- ``remove_provider``: delete it and the keyring entry that dies with it;
  says which agents still name it.

Keyring calls may block (D-Bus); the window runs these ops on the store's
worker thread, never on the UI thread. ``keyring`` is a parameter so a test
(or a future API) can hand in another store of secrets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from app.core import secrets
from app.domain import ProviderConfig
from app.domain.links import is_http_address
from app.domain.provider import DEFAULT_BASE_URLS
from app.logs import redact_url, url_credentials
from app.store import Store

log = logging.getLogger(__name__)


class Keyring(Protocol):
    """Where API keys live; the database keeps only the reference ``store`` returns."""

    def read(self, entry: str) -> str | None: ...
    def store(self, entry: str, secret: str) -> str: ...
    def delete(self, reference: str | None) -> None: ...


class SystemKeyring:
    """The OS keyring (app.core.secrets): SecretError when there is none."""

    def read(self, entry: str) -> str | None:
        return secrets.read_key(entry)

    def store(self, entry: str, secret: str) -> str:
        return secrets.store_key(entry, secret)

    def delete(self, reference: str | None) -> None:
        secrets.delete_key(reference)


SYSTEM_KEYRING = SystemKeyring()


class ProviderInputError(ValueError):
    """What was entered for a provider cannot be used (one line, for a person)."""


@dataclass(frozen=True)
class ProviderRemoval:
    """A removed provider and the agents that still name it (as main or fallback)."""

    config: ProviderConfig
    agents_using_it: list[str]


# -- checks --------------------------------------------------------------------------------
def example_url(kind: str) -> str:
    """The address a kind's server usually has (its default), shown as an example."""
    return DEFAULT_BASE_URLS.get(kind) or "http://127.0.0.1:8080/v1"


def url_problem(kind: str, url: str) -> str | None:
    """Why ``url`` cannot be a base URL for ``kind`` (None when it can).

    The embedded engine runs in-process and has no URL. The message names the
    kind's own example: an OpenAI-compatible server is not shown Ollama's port.
    """
    if kind == "embedded":
        return None
    if not is_http_address(url):
        return f"Enter an http(s) address like {example_url(kind)}"
    found = url_credentials(url)
    if found:
        # Refused, not moved: a credential in a URL is sent differently (user:pass
        # as Basic auth, ?key= in the query) from the API key field (a Bearer
        # header), so moving it silently could break the provider or change
        # where the key goes. The person moves it, once, knowingly.
        return (f"Remove the key from the address ({', '.join(found)}): it would be "
                f"stored and shown in plain text. Enter it as the provider's API key "
                f"instead (the API key field; agentdesk providers set-key NAME)")
    return None


def url_credential_warning(config: ProviderConfig) -> str | None:
    """For a provider saved before credentials in URLs were refused: one line
    saying what to do (None when its URL holds no credential). Such a provider
    keeps working; every place that shows its URL shows it redacted."""
    if config.kind == "embedded" or not url_credentials(config.base_url):
        return None
    return (f"provider {config.name!r} keeps a key in its URL "
            f"({redact_url(config.base_url)}), stored in plain text: edit it in "
            f"Settings › Providers and move the key to the API key field, or remove "
            f"it and add it again with a clean --url and agentdesk providers set-key")


def shown(config: ProviderConfig) -> ProviderConfig:
    """``config`` with its URL redacted, for output (``providers list --json``)."""
    return config.model_copy(update={"base_url": redact_url(config.base_url)})


def env_reference(variable: str) -> str:
    """``env:<VARIABLE>``; ProviderInputError for something that is not a name
    (most likely the key itself pasted in the wrong field — never echoed)."""
    if not secrets.ENV_NAME.fullmatch(variable):
        raise ProviderInputError("the environment variable name may only hold letters, "
                                 "digits and _")
    return f"env:{variable}"


# -- queries -------------------------------------------------------------------------------
def list_providers(store: Store) -> list[ProviderConfig]:
    return store.providers.list()


def find(store: Store, name: str) -> ProviderConfig | None:
    """A provider by name (case-insensitive), None when there is none."""
    return store.providers.find_by_name(name)


def agents_naming(store: Store, name: str) -> list[str]:
    """Names of the agents whose provider or a fallback is ``name``."""
    wanted = name.lower()
    return [agent.name for agent in store.agents.list()
            if wanted in {agent.provider.lower(), *(f.provider.lower() for f in agent.fallbacks)}]


# -- changes -------------------------------------------------------------------------------
def save_provider(store: Store, config: ProviderConfig, *, api_key: str | None = None,
                  api_key_env: str | None = None,
                  keyring: Keyring = SYSTEM_KEYRING) -> ProviderConfig:
    """Create (``config.id`` None) or update a provider; returns it as stored.

    ``api_key``: a new key, stored in ``keyring`` before the database is
    written and rolled back if that write fails. ``api_key_env``: refer to an
    environment variable instead. Raises the store's errors
    (DuplicateNameError, NotFoundError), SecretError when the keyring cannot
    take the key (nothing is written then) and ProviderInputError.
    """
    previous_ref = config.api_key_ref
    if config.id is not None:
        previous_ref = store.providers.get(config.id).api_key_ref
    if api_key_env and not api_key:
        config = config.model_copy(update={"api_key_ref": env_reference(api_key_env)})
    entry = secrets.provider_key_entry(config.name)
    overwritten: str | None = None
    if api_key:
        overwritten = keyring.read(entry)        # put back if the database says no
        config = config.model_copy(update={"api_key_ref": keyring.store(entry, api_key)})
    try:
        saved = (store.providers.create(config) if config.id is None
                 else store.providers.update(config))
    except Exception:
        if api_key:
            _restore(keyring, entry, config.api_key_ref or "", overwritten)
        raise
    if previous_ref and previous_ref != saved.api_key_ref:
        keyring.delete(previous_ref)             # the old key is obsolete
    return saved


def _restore(keyring: Keyring, entry: str, reference: str, overwritten: str | None) -> None:
    """Undo ``keyring.store(entry, …)`` after the database refused the save."""
    try:
        if overwritten is None:
            keyring.delete(reference)
        else:
            keyring.store(entry, overwritten)
    except secrets.SecretError as exc:
        log.warning("could not roll back the keyring entry %r: %s", entry, exc)


def remove_provider(store: Store, name: str, *,
                    keyring: Keyring = SYSTEM_KEYRING) -> ProviderRemoval:
    """Delete provider ``name`` and its keyring entry (NotFoundError if unknown)."""
    config = store.providers.get_by_name(name)
    store.providers.delete(config.id)
    keyring.delete(config.api_key_ref)       # a keyring entry dies with its provider
    return ProviderRemoval(config, agents_naming(store, config.name))
