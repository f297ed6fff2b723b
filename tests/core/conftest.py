"""Fixtures shared by the core tests."""

from __future__ import annotations

import ssl

import pytest

from app.providers.transport import verifying_ssl_context


@pytest.fixture
def ca_bundle_loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every ``ssl.create_default_context`` call (how httpx loads certifi's CA
    bundle for a client made with its default ``verify``) from here on. The
    process's shared verifying context is made first, as on first need."""
    verifying_ssl_context()
    made: list[tuple] = []
    real = ssl.create_default_context

    def counting(*args, **kwargs) -> ssl.SSLContext:
        made.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    return made
