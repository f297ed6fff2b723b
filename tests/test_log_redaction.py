"""The log's secret filter redacts secrets, not prose (issue 13, item 9): the
words after "token:" stay readable; real keys, bearer tokens, assignments and
the configured key values never reach the file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app import logs
from app.core.secrets import resolve_key
from app.logs import REDACTED, redact
from tests.support.log_files import log_file

__all__ = ["log_file"]  # the fixture, imported for its use below


@pytest.fixture(autouse=True)
def known_secrets(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """A fresh set of registered key values per test."""
    fresh: set[str] = set()
    monkeypatch.setattr(logs, "_KNOWN_SECRETS", fresh)
    return fresh


def read(path: Path) -> str:
    for handler in logging.getLogger("app").handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_the_reported_line_keeps_its_error_kind(log_file: Path) -> None:
    logging.getLogger("app.core.fallback").info(
        "candidate %s failed before any token: %s (%s)", "local/gemma3", "unreachable",
        "could not connect to http://127.0.0.1:9/v1")
    text = read(log_file)
    assert "failed before any token: unreachable (could not connect" in text
    assert REDACTED not in text


@pytest.mark.parametrize("prose", [
    "failed before any token: rate_limited (slow down)",
    "failed before any token: timeout.",
    "failed before any token: ConnectError (refused)",
    "first token: 212 ms",
    "the server wants a Bearer token for /v1/models",
    "secret: none configured",
    "password: required",
])
def test_prose_after_a_secret_word_stays(prose: str) -> None:
    assert redact(prose) == prose


@pytest.mark.parametrize("text, secret", [
    ("key sk-ant-api03-AbCdEf0123456789xyz rejected", "sk-ant-api03-AbCdEf0123456789xyz"),
    ("github said ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4 is bad", "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4"),
    ("google key AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    ("aws AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"),
    ("slack xoxb-123456789012-abcdefABCDEF", "xoxb-123456789012-abcdefABCDEF"),
    ("cookie eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-Nature_1", "eyJhbGciOiJIUzI1NiJ9"),
    ("Authorization: Bearer abc123xyz", "abc123xyz"),
    ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("GET /v1/models?api_key=hunter&page=2", "hunter"),
    ('{"api_key": "lowercaseonly", "model": "m"}', "lowercaseonly"),
    ("retrying with token=plainword", "plainword"),
    ("token: s3cr3tValue42", "s3cr3tValue42"),
    ("password: 'quoted'", "quoted"),
])
def test_secrets_are_redacted(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_a_configured_key_of_any_shape_is_redacted(log_file: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A key resolved from its reference is redacted literally, even where it
    looks like a word and even without a secret-sounding name before it."""
    monkeypatch.setenv("AGENTDESK_TEST_PROVIDER_KEY", "lowercasewordkey")
    assert resolve_key("env:AGENTDESK_TEST_PROVIDER_KEY") == "lowercasewordkey"
    log = logging.getLogger("app.providers.openai")
    log.warning("server echoed token: %s", "lowercasewordkey")
    log.warning("bad request body mentions lowercasewordkey twice: lowercasewordkey")
    text = read(log_file)
    assert "lowercasewordkey" not in text
    assert text.count(REDACTED) == 3
    assert "server echoed token: " in text and "twice: " in text


def test_short_values_are_not_registered(known_secrets: set[str]) -> None:
    """A 1–5 character "key" would blank common words all over the log."""
    logs.register_secret("abc")
    logs.register_secret("")
    logs.register_secret(None)
    assert known_secrets == set()
    assert redact("abc def") == "abc def"
