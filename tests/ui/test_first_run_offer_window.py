"""The first-run offer as a person meets it: the recommended model downloaded
with one click from the loopback GGUF server (a catalogue entry built here),
an Ollama server's model taken with one click, "Not now" remembered, and the
real application start showing the offer on a fresh data folder."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton

from app.core import first_run
from app.core.local_probe import probe_local_servers
from app.domain import AgentSpec, ProviderConfig
from app.domain.model_library import CatalogueEntry
from app.ops import first_run as ops
from app.ops import model_downloads
from app.ui.first_run_dialog import FirstRunDialog, offer_first_run, select_created_agent
from app.ui.models.service import service_for
from tests.providers.ollama_server import OllamaServer
from tests.support.download_helpers import MB, model_file, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.ui.window_support import start_app

WAIT_MS = 5000
DOWNLOAD_MS = 60_000


async def no_servers():
    return []


def entry_for(server) -> CatalogueEntry:
    return CatalogueEntry(
        id="tiny-chat", name="Tiny Chat 270M", family="gemma", kind="chat",
        use_cases=["chat"], files=[model_file(server, "tiny-chat.gguf")],
        context_length=32768, licence="test", ram_bytes=800_000_000,
        good_for="trying the first run", sources=["built by the test"])


def seed_base_agent(aio, bridge) -> None:
    """The data folder as the zero-setup defaults leave it (the bundled base model)."""
    def seed(store) -> None:
        store.providers.create(ProviderConfig(name=first_run.PROVIDER_NAME, kind="embedded",
                                              model_path="/nowhere/base.gguf"))
        store.agents.create(AgentSpec(name=first_run.AGENT_NAME,
                                      provider=first_run.PROVIDER_NAME, model="base"))
    aio.run(bridge.run(seed))


def offer(aio, window, bridge, settings, **find) -> FirstRunDialog | None:
    return aio.run(offer_first_run(window, bridge, settings, service_for(bridge, settings).ready,
                                   on_agent=lambda agent: select_created_agent(window, agent),
                                   **find), timeout=WAIT_MS * 2)


def label(dialog, name: str) -> str:
    return dialog.findChild(QLabel, name).text()


def current_agent_name(window) -> str | None:
    agent = window.current_agent()
    return agent.name if agent else None


def test_one_click_downloads_the_recommended_model_and_makes_its_agent(
        aio, qtbot, bridge, window, settings, real_gguf):
    seed_base_agent(aio, bridge)
    models = model_downloads.models_dir(settings)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=80 * MB)) as server:
        entry = entry_for(server)
        dialog = offer(aio, window, bridge, settings, probe=no_servers,
                       recommend=lambda fit: entry)
        assert dialog is not None and dialog.isVisible()
        assert dialog.objectName() == "firstRunOffer"
        assert "Tiny Chat 270M" in label(dialog, "recommendedModel")
        assert "253 MB download" in label(dialog, "recommendedModel")
        assert "base model" in label(dialog, "bundledNote")
        button = dialog.findChild(QPushButton, "downloadRecommended")
        assert button.text() == "Download (253 MB)"
        assert not models.exists() or not any(models.glob("*.gguf*"))  # nothing before the click
        assert server.requests == []

        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        bar = dialog.findChild(QProgressBar, "downloadProgress")
        qtbot.waitUntil(lambda: bar.isVisible() and 0 < bar.value() < bar.maximum(),
                        timeout=DOWNLOAD_MS)
        assert not button.isEnabled()
        assert "MB" in label(dialog, "firstRunStatus")   # "x of 253.1 MB, ..."
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=DOWNLOAD_MS)

    assert (models / "tiny-chat.gguf").stat().st_size == real_gguf.size
    agents = aio.run(bridge.run(lambda s: {a.name: a for a in s.agents.list()}))
    made = agents["Assistant (Tiny Chat 270M)"]
    provider = aio.run(bridge.run(lambda s: s.providers.find_by_name(made.provider)))
    assert provider.kind == "embedded" and provider.model_path == str(models / "tiny-chat.gguf")
    qtbot.waitUntil(lambda: current_agent_name(window) == made.name, timeout=WAIT_MS)
    # A chat agent exists now: the next start offers nothing.
    assert offer(aio, window, bridge, settings, probe=no_servers,
                 recommend=lambda fit: pytest.fail("not asked")) is None


def test_detected_ollama_is_offered_and_one_click_makes_the_agent(
        aio, qtbot, bridge, window, settings):
    seed_base_agent(aio, bridge)
    with OllamaServer() as server:
        dialog = offer(aio, window, bridge, settings,
                       probe=lambda: probe_local_servers(ports={"ollama": server.port}),
                       recommend=lambda fit: pytest.fail("no download when a server has models"))
        assert "Ollama is running on this computer (3 models)" in label(dialog, "server_ollama")
        assert dialog.findChild(QPushButton, "downloadRecommended") is None
        button = dialog.findChild(QPushButton, "useServer_ollama")
        model = button.text().removeprefix("Chat with ")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    provider = aio.run(bridge.run(lambda s: s.providers.find_by_name("Ollama")))
    assert provider.kind == "ollama" and provider.base_url == server.base_url
    qtbot.waitUntil(lambda: current_agent_name(window) == f"Assistant ({model})",
                    timeout=WAIT_MS)
    assert window.current_agent().model == model


def test_not_now_is_remembered_and_nothing_is_downloaded(aio, qtbot, bridge, window, settings,
                                                         real_gguf):
    seed_base_agent(aio, bridge)
    with gguf_server(real_gguf.path) as server:
        entry = entry_for(server)
        dialog = offer(aio, window, bridge, settings, probe=no_servers,
                       recommend=lambda fit: entry)
        qtbot.mouseClick(dialog.findChild(QPushButton, "notNow"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
        assert server.requests == []
    assert ops.dismissed(settings)
    assert offer(aio, window, bridge, settings, probe=no_servers,
                 recommend=lambda fit: entry) is None


def test_the_real_start_offers_a_model_on_a_fresh_data_folder(aio, qapp, qtbot, settings):
    task, window = start_app(aio, qapp, qtbot, settings)
    qtbot.waitUntil(lambda: window.findChild(FirstRunDialog, "firstRunOffer") is not None
                    and window.findChild(FirstRunDialog, "firstRunOffer").isVisible(),
                    timeout=WAIT_MS * 3)
    dialog = window.findChild(FirstRunDialog, "firstRunOffer")
    # Whatever this machine has (a server, or the catalogue's pick), a choice is
    # offered with its size or its server, and the bundled model is described.
    assert not dialog.offer.empty
    if dialog.offer.download is not None:
        assert "download" in label(dialog, "recommendedModel")
    assert "base model" in label(dialog, "bundledNote")
    qtbot.mouseClick(dialog.findChild(QPushButton, "notNow"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    window.quit_app()
    qtbot.waitUntil(task.done, timeout=WAIT_MS * 3)
    assert task.result() == 0
    models = model_downloads.models_dir(settings)
    assert not list(models.glob("*.part")) if models.exists() else True


def test_offer_switches_theme_both_ways_while_open_and_nothing_is_clipped(
        aio, qtbot, bridge, window, settings, real_gguf, screenshot_dir):
    from layout_support import clipping, picture

    from app.ui.theme import theme_manager

    def background() -> int:
        return dialog.palette().window().color().lightness()

    seed_base_agent(aio, bridge)
    theme_manager().apply("light")
    with gguf_server(real_gguf.path) as server:
        entry = entry_for(server)
        dialog = offer(aio, window, bridge, settings, probe=no_servers,
                       recommend=lambda fit: entry)
        for scheme in ("dark", "light", "dark"):
            theme_manager().apply(scheme)
            qtbot.waitUntil(lambda: (background() < 128) == (scheme == "dark"),
                            timeout=WAIT_MS)
            picture(dialog).save(str(screenshot_dir / f"first-run-offer-{scheme}.png"))
            assert dialog.isVisible()
            for name in ("firstRunHeading", "recommendedModel", "bundledNote"):
                assert clipping(dialog.findChild(QLabel, name)) == []
        qtbot.mouseClick(dialog.findChild(QPushButton, "notNow"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
