"""API keys: in the OS keyring, or named by an environment variable.

The database, settings file, logs and exports only ever hold a *reference*:
``keyring:<entry>`` or ``env:<VARIABLE>``.

``keyring`` is imported on first use, not at start: with its backends (and on
Linux secretstorage, jeepney and cryptography) it is several MB that the window
does not need until a key is stored or read.
"""

from __future__ import annotations

import logging
import os
import re
import secrets as _random
from types import ModuleType

from app.logs import register_secret

log = logging.getLogger(__name__)

SERVICE = "AgentDesk"
# What an environment variable name looks like (for ``env:`` references).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NO_KEYRING_TO_STORE = ("no system keyring is available to store the API key; set it in an "
                       "environment variable and refer to it instead (--api-key-env VAR)")


API_TOKEN_ENTRY = "api:token"
#: When set, the only bearer token the HTTP API accepts (``agentdesk serve``).
API_TOKEN_ENV = "AGENTDESK_API_TOKEN"
NO_KEYRING_FOR_TOKEN = ("no system keyring is available to keep the API token; set "
                        f"{API_TOKEN_ENV} to the token the API should accept")


def provider_key_entry(provider_name: str) -> str:
    """The keyring entry a provider's API key is stored under (CLI and GUI alike)."""
    return f"provider:{provider_name}"


class SecretError(Exception):
    """A key could not be stored or found; the message says what to do."""


def _keyring() -> ModuleType:
    import keyring

    return keyring


def _keyring_errors() -> tuple[type[Exception], ...]:
    from keyring.errors import KeyringError, NoKeyringError

    return (NoKeyringError, KeyringError)


def keyring_available() -> bool:
    """True when a real (persistent) keyring backend is present."""
    backend = _keyring().get_keyring()
    priority = getattr(backend, "priority", 0)
    return priority > 0 and "fail" not in type(backend).__module__


def store_key(entry: str, secret: str) -> str:
    """Put ``secret`` in the OS keyring under ``entry``; returns the reference."""
    register_secret(secret)
    keyring = _keyring()
    try:
        keyring.set_password(SERVICE, entry, secret)
    except _keyring_errors() as exc:
        raise SecretError(NO_KEYRING_TO_STORE) from exc
    return f"keyring:{entry}"


def read_key(entry: str) -> str | None:
    """The secret stored under ``entry`` in the OS keyring, None when there is
    none. Read before storing a new key, so a caller can put back the one it
    overwrote; without a keyring it says what ``store_key`` would say."""
    keyring = _keyring()
    try:
        return keyring.get_password(SERVICE, entry)
    except _keyring_errors() as exc:
        raise SecretError(NO_KEYRING_TO_STORE) from exc


def delete_key(reference: str | None) -> None:
    if reference and reference.startswith("keyring:"):
        keyring = _keyring()
        try:
            keyring.delete_password(SERVICE, reference.removeprefix("keyring:"))
        except _keyring_errors() as exc:
            log.warning("could not remove a keyring entry: %s", type(exc).__name__)


def resolve_key(reference: str | None) -> str | None:
    """The key a reference points at, or None when there is no reference.

    Raises SecretError when the reference points at nothing."""
    if not reference:
        return None
    scheme, _, name = reference.partition(":")
    if scheme == "env":
        value = os.environ.get(name)
        if not value:
            raise SecretError(f"the environment variable {name} holding the API key "
                              "is not set")
        register_secret(value)     # the log never shows it, whatever echoes it
        return value
    if scheme == "keyring":
        keyring = _keyring()
        try:
            value = keyring.get_password(SERVICE, name)
        except _keyring_errors() as exc:
            raise SecretError("the system keyring is not available to read the "
                              "API key") from exc
        if value is None:
            raise SecretError(f"no API key stored in the keyring for {name!r}")
        register_secret(value)
        return value
    raise SecretError(f"unknown API key reference {reference!r}")


def _new_token() -> str:
    return _random.token_urlsafe(32)


def api_token() -> str:
    """The bearer token the local HTTP API accepts: ``$AGENTDESK_API_TOKEN``
    when set, else the one kept in the keyring, made on first use.

    Raises SecretError (saying to set the variable) when there is no keyring."""
    value = os.environ.get(API_TOKEN_ENV, "").strip()
    if value:
        register_secret(value)
        return value
    keyring = _keyring()
    try:
        stored = keyring.get_password(SERVICE, API_TOKEN_ENTRY)
        if not stored:
            stored = _new_token()
            keyring.set_password(SERVICE, API_TOKEN_ENTRY, stored)
    except _keyring_errors() as exc:
        raise SecretError(NO_KEYRING_FOR_TOKEN) from exc
    register_secret(stored)
    return stored


def regenerate_api_token() -> str:
    """Replace the keyring's API token with a new one and return it; the old
    one stops working as soon as the server reads the new one."""
    token = _new_token()
    register_secret(token)
    try:
        _keyring().set_password(SERVICE, API_TOKEN_ENTRY, token)
    except _keyring_errors() as exc:
        raise SecretError(NO_KEYRING_FOR_TOKEN) from exc
    return token
