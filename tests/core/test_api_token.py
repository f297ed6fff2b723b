"""The local API's bearer token (app.core.secrets.api_token) and its settings
(app.settings.ApiSettings): made once in the keyring, regenerated on demand,
the environment variable winning, a clear error without a keyring."""

from __future__ import annotations

import json

import pytest
from keyring.backends import fail

from app.core.secrets import (
    API_TOKEN_ENTRY,
    API_TOKEN_ENV,
    SERVICE,
    SecretError,
    api_token,
    regenerate_api_token,
)
from app.logs import redact
from app.settings import load_settings
from tests.support.memory_keyring import MemoryKeyring, installed


@pytest.fixture(autouse=True)
def no_token_variable(monkeypatch):
    monkeypatch.delenv(API_TOKEN_ENV, raising=False)


def test_the_token_is_made_once_and_kept_in_the_keyring():
    with installed(MemoryKeyring()) as backend:
        first = api_token()
        assert len(first) >= 40
        assert backend.entries[(SERVICE, API_TOKEN_ENTRY)] == first
        assert api_token() == first


def test_regenerating_replaces_the_token():
    with installed(MemoryKeyring()) as backend:
        old = api_token()
        new = regenerate_api_token()
        assert new != old
        assert api_token() == new == backend.entries[(SERVICE, API_TOKEN_ENTRY)]


def test_the_environment_variable_wins_and_is_never_stored(monkeypatch):
    monkeypatch.setenv(API_TOKEN_ENV, "from-the-environment-123")
    with installed(MemoryKeyring()) as backend:
        assert api_token() == "from-the-environment-123"
        assert backend.entries == {}


def test_without_a_keyring_the_error_names_the_variable():
    with installed(fail.Keyring()):
        with pytest.raises(SecretError, match=API_TOKEN_ENV):
            api_token()
        with pytest.raises(SecretError, match=API_TOKEN_ENV):
            regenerate_api_token()


def test_the_token_never_reaches_the_log():
    with installed(MemoryKeyring()):
        token = api_token()
    assert token not in redact(f"Authorization: Bearer {token}")


def test_api_settings_are_off_and_local_by_default_and_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTDESK_API__PORT", "9123")
    settings = load_settings(tmp_path)
    assert (settings.api.enabled, settings.api.host, settings.api.port) == (
        False, "127.0.0.1", 9123)
    assert settings.api.allowed_origins == []
    settings.api.enabled = True
    settings.api.rate_limit_per_minute = 30
    settings.save()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert saved["api"] == {"enabled": True, "port": 9123, "rate_limit_per_minute": 30}
    monkeypatch.delenv("AGENTDESK_API__PORT")
    again = load_settings(tmp_path)
    assert (again.api.enabled, again.api.port, again.api.rate_limit_per_minute) == (
        True, 9123, 30)
