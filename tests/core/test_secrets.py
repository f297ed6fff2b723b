"""API key references (app.core.secrets) with an in-memory keyring backend."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from app.core.connection_test import check_provider
from app.core.provider_factory import build_provider
from app.core.secrets import (
    SERVICE,
    SecretError,
    delete_key,
    keyring_available,
    resolve_key,
    store_key,
)
from app.domain import ProviderConfig
from app.logs import configure_logging
from app.settings import load_settings
from app.store import Store
from tests.support.discovery_helpers import openai_models_server
from tests.support.memory_keyring import MemoryKeyring, installed

SECRET = "sk-test-0123456789-THE-SECRET-abcdefghijklmnop"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with installed(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    with installed(fail.Keyring()):
        yield


def test_env_reference_reads_the_variable(monkeypatch):
    monkeypatch.setenv("AGENTDESK_TEST_KEY", SECRET)
    assert resolve_key("env:AGENTDESK_TEST_KEY") == SECRET


def test_missing_env_variable_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("AGENTDESK_NOT_SET", raising=False)
    with pytest.raises(SecretError, match="environment variable AGENTDESK_NOT_SET"):
        resolve_key("env:AGENTDESK_NOT_SET")


def test_no_reference_means_no_key():
    assert resolve_key(None) is None
    assert resolve_key("") is None


def test_unknown_scheme_is_refused():
    with pytest.raises(SecretError, match="unknown API key reference"):
        resolve_key("file:/etc/key")


def test_keyring_round_trip(memory_keyring):
    reference = store_key("provider:cloud", SECRET)
    assert reference == "keyring:provider:cloud"
    assert SECRET not in reference
    assert memory_keyring.entries == {(SERVICE, "provider:cloud"): SECRET}
    assert resolve_key(reference) == SECRET
    assert keyring_available() is True

    delete_key(reference)
    assert memory_keyring.entries == {}
    with pytest.raises(SecretError, match="no API key stored in the keyring"):
        resolve_key(reference)


def test_deleting_a_missing_entry_or_an_env_reference_is_harmless(memory_keyring):
    delete_key("keyring:never-stored")
    delete_key("env:SOMETHING")
    delete_key(None)
    assert memory_keyring.entries == {}


def test_without_a_keyring_storing_suggests_an_environment_variable(no_keyring):
    assert keyring_available() is False
    with pytest.raises(SecretError, match="--api-key-env"):
        store_key("provider:cloud", SECRET)
    with pytest.raises(SecretError, match="keyring is not available"):
        resolve_key("keyring:provider:cloud")


def test_the_fixture_restores_the_previous_keyring():
    before = keyring.get_keyring()
    with installed(MemoryKeyring()) as backend:
        assert keyring.get_keyring() is backend
    assert keyring.get_keyring() is before


def test_a_keyring_key_reaches_the_server_and_nowhere_on_disk(memory_keyring, tmp_path):
    home = tmp_path / "home"
    settings = load_settings(home)
    configure_logging(settings.log_dir, level="DEBUG")
    try:
        with Store(settings.database_path) as store, openai_models_server(SECRET) as (port, seen):
            reference = store_key("provider:cloud", SECRET)
            config = store.providers.create(ProviderConfig(
                name="cloud", kind="openai", base_url=f"http://127.0.0.1:{port}/v1",
                api_key_ref=reference))
            settings.default_provider = config.name
            settings.save()

            provider = build_provider(store.providers.get_by_name("cloud"))
            try:
                models = asyncio.run(provider.list_models())
            finally:
                asyncio.run(provider.aclose())
            report = asyncio.run(check_provider(config))
            logging.getLogger("app.test").info("provider %s tested: %s", config.name, report)
    finally:
        _close_log_file()
    assert [m.id for m in models] == ["gpt-test"]
    assert report.reachable is True and report.auth_ok is True
    assert seen and set(seen) == {f"Bearer {SECRET}"}
    _assert_secret_nowhere(home)


def test_a_wrong_key_is_reported_as_auth_with_the_keyring_fix(memory_keyring):
    with openai_models_server(SECRET) as (port, _seen):
        reference = store_key("provider:cloud", "sk-wrong-key")
        config = ProviderConfig(name="cloud", kind="openai",
                                base_url=f"http://127.0.0.1:{port}/v1", api_key_ref=reference)
        report = asyncio.run(check_provider(config))
    assert report.reachable is False
    assert report.error_kind == "auth" and report.auth_ok is False
    assert "Incorrect API key provided" in report.message
    assert "sk-wrong-key" not in report.message + report.fix
    assert "agentdesk providers set-key cloud" in report.fix


def test_a_missing_keyring_entry_is_reported_not_raised(memory_keyring):
    config = ProviderConfig(name="cloud", kind="openai", base_url="https://api.openai.com/v1",
                            api_key_ref="keyring:provider:cloud", is_local=False)
    report = asyncio.run(check_provider(config))
    assert report.reachable is False and report.error_kind == "auth"
    assert "no API key stored in the keyring" in report.message


def _assert_secret_nowhere(folder: Path) -> None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name == "agentdesk.db" for p in files)
    assert any(p.suffix == ".log" or ".log" in p.name for p in files)
    for path in files:
        assert SECRET.encode() not in path.read_bytes(), path


def _close_log_file() -> None:
    root = logging.getLogger("app")
    for handler in [h for h in root.handlers if h.get_name() == "agentdesk-file"]:
        root.removeHandler(handler)
        handler.close()
