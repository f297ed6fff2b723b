"""The first-run offer against real servers: the in-test Ollama server (its
documented API) for "a server is running", and the loopback GGUF server with a
catalogue entry built here for "download the recommended model"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.core import first_run
from app.core.local_probe import probe_local_servers
from app.core.models.downloads import DownloadManager
from app.domain import AgentSpec, ProviderConfig
from app.domain.model_library import CatalogueEntry
from app.ops import first_run as ops
from app.ops import model_downloads
from app.settings import AppSettings
from tests.providers.ollama_server import OllamaServer
from tests.providers.ollama_wire import ModelEntry
from tests.support.download_helpers import model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import gguf_server


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    made = AppSettings()
    made.home = tmp_path / "data"
    made.home.mkdir()
    return made


def no_servers():
    async def probe():
        return []
    return probe


def ollama_probe(server: OllamaServer):
    return lambda: probe_local_servers(ports={"ollama": server.port})


def entry_for(server, filename: str = "tiny-chat.gguf") -> CatalogueEntry:
    return CatalogueEntry(
        id="tiny-chat", name="Tiny Chat 270M", family="gemma", kind="chat",
        use_cases=["chat"], files=[model_file(server, filename)], context_length=32768,
        licence="test", ram_bytes=800_000_000, good_for="a test of the first run",
        sources=["built by the test"])


def test_detected_ollama_offers_its_best_chat_model_and_no_download(store, settings):
    with OllamaServer() as server:
        offer = asyncio.run(ops.find_offer(settings, [], probe=ollama_probe(server),
                                           recommend=lambda fit: pytest.fail("no download")))
    assert offer.download is None and not offer.empty
    [found] = offer.usable_servers
    assert found.server.kind == "ollama" and found.server_name == "Ollama"
    assert found.model_count == 3
    # Both llama3.2 and qwen3 have tools; llama3.2 is the larger one (if it fits).
    assert found.model.id in {"llama3.2:latest", "qwen3:0.6b"}
    assert found.model.id != "llava:7b"   # no tools


def test_accepting_a_server_creates_provider_and_agent_once_per_address(store, settings):
    with OllamaServer([ModelEntry("qwen3:0.6b", 522_653_767, "qwen3", "751.63M", "Q4_K_M",
                                  "qwen3", 40_960, ["completion", "tools"])]) as server:
        offer = asyncio.run(ops.find_offer(settings, [], probe=ollama_probe(server)))
        provider, agent = ops.accept_server(store, offer.usable_servers[0])
        assert provider.kind == "ollama" and provider.base_url == server.base_url
        assert agent.provider == provider.name and agent.model == "qwen3:0.6b"
        assert agent.name == "Assistant (qwen3:0.6b)"
        # Offered again (e.g. from `agentdesk setup`): the stored provider is reused.
        again = asyncio.run(ops.find_offer(settings, store.providers.list(),
                                           probe=ollama_probe(server)))
        assert again.usable_servers[0].configured.name == provider.name
        provider2, agent2 = ops.accept_server(store, again.usable_servers[0])
    assert provider2.id == provider.id and len(store.providers.list()) == 1
    assert agent2.name == "Assistant (qwen3:0.6b) 2"
    assert ops.has_chat_agent(store)


def test_server_with_only_an_embedding_model_falls_back_to_the_download(store, settings):
    with OllamaServer([ModelEntry("nomic-embed-text:latest", 274_302_450, "nomic-bert",
                                  "137M", "F16", "nomic-bert", 2048, ["embedding"])]) as server:
        with gguf_server(real_gguf_path()) as files:
            entry = entry_for(files)
            offer = asyncio.run(ops.find_offer(settings, [], probe=ollama_probe(server),
                                               recommend=lambda fit: entry))
    assert offer.servers[0].model is None and offer.usable_servers == []
    assert offer.download.entry is entry and not offer.download.installed
    with pytest.raises(ops.FirstRunError, match="no chat model"):
        ops.accept_server(store, offer.servers[0])


def real_gguf_path() -> Path:
    from tests.support.llama_server import gemma_model_path
    return gemma_model_path()


def test_no_server_offers_the_recommended_download_then_creates_the_agent(
        store, settings, real_gguf):
    with gguf_server(real_gguf.path) as files:
        entry = entry_for(files)
        offer = asyncio.run(ops.find_offer(settings, [], probe=no_servers(),
                                           recommend=lambda fit: entry))
        assert offer.download.size_bytes == real_gguf.size
        # Nothing was downloaded by finding the offer.
        assert not model_downloads.models_dir(settings).exists() or not any(
            model_downloads.models_dir(settings).iterdir())
        with pytest.raises(ops.FirstRunError, match="not downloaded yet"):
            ops.accept_download(store, settings, entry)

        async def take() -> list:
            manager = DownloadManager(model_downloads.models_dir(settings))
            try:
                return await ops.download(manager, entry)
            finally:
                await manager.aclose()

        [final] = asyncio.run(take())
    assert final.state == "done"
    provider, agent = ops.accept_download(store, settings, entry)
    path = model_downloads.models_dir(settings) / "tiny-chat.gguf"
    assert provider.kind == "embedded" and provider.model_path == str(path)
    assert provider.name == "Embedded (Tiny Chat 270M)"
    assert agent.provider == provider.name and agent.name == "Assistant (Tiny Chat 270M)"
    # Offered again once downloaded: marked installed; accepting reuses the provider.
    again = asyncio.run(ops.find_offer(settings, [], probe=no_servers(),
                                       recommend=lambda fit: entry))
    assert again.download.installed
    provider2, _ = ops.accept_download(store, settings, entry)
    assert provider2.id == provider.id


def test_wants_offer_until_a_chat_agent_exists_or_dismissed(store, settings):
    assert ops.wants_offer(store, settings)
    # The bundled base model's default agent does not count as a chat agent.
    store.providers.create(ProviderConfig(name=first_run.PROVIDER_NAME, kind="embedded",
                                          model_path="/x/base.gguf"))
    store.agents.create(AgentSpec(name=first_run.AGENT_NAME, provider=first_run.PROVIDER_NAME))
    assert ops.wants_offer(store, settings)
    ops.dismiss(settings)
    assert not ops.wants_offer(store, settings) and ops.dismissed(settings)


def test_chat_agent_ends_the_offer_and_a_damaged_state_file_offers_again(store, settings):
    ops.state_path(settings).write_text("{not json", encoding="utf-8")
    assert ops.wants_offer(store, settings)
    store.providers.create(ProviderConfig(name="Ollama", kind="ollama",
                                          base_url="http://127.0.0.1:11434"))
    store.agents.create(AgentSpec(name="Mine", provider="Ollama", model="llama3.2"))
    assert not ops.wants_offer(store, settings)


def test_first_run_recommends_a_small_chat_download_that_fits():
    from app.core.first_run_offer import FIRST_RUN_MAX_DOWNLOAD
    from app.ops.model_catalogue import MachineFit, recommended

    roomy = MachineFit(memory_bytes=32_000_000_000, free_disk_bytes=500_000_000_000)
    picked = ops.small_recommendation(roomy)
    assert picked.size_bytes <= FIRST_RUN_MAX_DOWNLOAD and picked.instruction_tuned
    assert "chat" in picked.use_cases and "tools" in picked.capabilities
    # The unrestricted pick for such a computer is a bigger download.
    assert recommended(roomy).size_bytes > FIRST_RUN_MAX_DOWNLOAD
    small_memory = MachineFit(memory_bytes=2_000_000_000, free_disk_bytes=None)
    smaller = ops.small_recommendation(small_memory)
    assert smaller.ram_bytes <= 0.6 * 2_000_000_000 and smaller.size_bytes < picked.size_bytes
    assert ops.small_recommendation(MachineFit(memory_bytes=1_000_000_000,
                                               free_disk_bytes=None)) is None
    no_disk = MachineFit(memory_bytes=32_000_000_000, free_disk_bytes=500_000_000)
    assert ops.small_recommendation(no_disk) is None


def test_a_configured_server_whose_key_is_missing_is_offered_without_a_model(
        settings, monkeypatch):
    monkeypatch.delenv("AGENTDESK_TEST_NO_SUCH_KEY", raising=False)
    with OllamaServer() as server:
        mine = ProviderConfig(name="Mine", kind="ollama", base_url=server.base_url,
                              api_key_ref="env:AGENTDESK_TEST_NO_SUCH_KEY")
        offer = asyncio.run(ops.find_offer(settings, [mine], probe=ollama_probe(server),
                                           recommend=lambda fit: None))
    [found] = offer.servers
    assert found.configured == mine and found.model is None and found.model_count == 3
    assert offer.empty
