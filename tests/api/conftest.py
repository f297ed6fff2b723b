"""Fixtures of the API tests: a data folder with its database, the API served
over real HTTP on it (tests/support/api_server.py), an httpx client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.context import ApiContext, ApiLimits
from app.domain import AgentSpec, ProviderConfig
from app.settings import load_settings
from app.store import Store
from tests.support.api_server import TOKEN, ServedApi, serve_api


@pytest.fixture
def api_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTDESK_HOME", str(tmp_path))
    Store.in_folder(tmp_path).close()          # the database, migrated
    return tmp_path


def make_context(home: Path, **overrides) -> ApiContext:
    settings = load_settings(home)
    values = dict(settings=settings, token=TOKEN, store_path=settings.database_path,
                  limits=ApiLimits())
    values.update(overrides)
    return ApiContext(**values)


@pytest.fixture
def served(api_home: Path) -> Iterator[ServedApi]:
    with serve_api(make_context(api_home)) as api:
        yield api


@pytest.fixture
def client(served: ServedApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, headers=served.headers(), timeout=60) as http:
        yield http


def add_provider_and_agent(home: Path, provider: ProviderConfig, **agent_fields) -> AgentSpec:
    """Store ``provider`` and an agent using it (returned, with its id)."""
    with Store.in_folder(home) as store:
        if store.providers.find_by_name(provider.name) is None:
            store.providers.create(provider)
        return store.agents.create(AgentSpec(**{"provider": provider.name, **agent_fields}))


@pytest.fixture
def gemma_agent(api_home: Path, llama_server) -> AgentSpec:
    """Agent 'gemma' on the real llama.cpp server (provider 'llama')."""
    return add_provider_and_agent(
        api_home, ProviderConfig(name="llama", kind="llamacpp", base_url=llama_server.base_url),
        name="gemma", model=llama_server.model, max_tokens=16, temperature=0.0)
