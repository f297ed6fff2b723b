"""The Model Library's Ollama tab against the in-test Ollama
(tests/providers/ollama_admin_server.py: /api/tags, /api/show, the /api/pull
NDJSON stream and DELETE /api/delete in Ollama's documented format): shown
only when an Ollama provider is configured; its models with size and
capabilities; Pull with a moving progress bar; a failed pull and a stopped one
say so; Delete… asked first."""

from __future__ import annotations

from model_library_support import click, open_library, visible_box
from window_support import WAIT_MS, open_window

from app.domain import ProviderConfig
from app.store import Store
from tests.providers.ollama_admin_server import OllamaLibraryServer


def add_ollama(db_path, url: str) -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="Home Ollama", kind="ollama", base_url=url))


def rows(tab) -> dict[str, list[str]]:
    return {tab.list.topLevelItem(i).text(0): [tab.list.topLevelItem(i).text(c)
                                                for c in range(tab.list.columnCount())]
            for i in range(tab.list.topLevelItemCount())}


def test_no_ollama_tab_without_an_ollama_provider(aio, bridge, settings, qtbot):
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    assert library.ollama is None
    assert [library.tabs.tabText(i) for i in range(library.tabs.count())] == [
        "Catalogue", "Downloads", "Installed"]
    library.close()


def test_list_pull_stop_fail_and_delete(aio, bridge, settings, db_path, qtbot):
    with OllamaLibraryServer(steps=40, delay=0.01) as ollama:
        add_ollama(db_path, ollama.url)
        window = open_window(qtbot, bridge, settings)
        library = open_library(window, qtbot)
        tab = library.ollama
        assert tab is not None and library.tabs.tabText(library.tabs.indexOf(tab)) == "Ollama"
        library.tabs.setCurrentWidget(tab)
        qtbot.waitUntil(lambda: len(tab.models) == 3, timeout=WAIT_MS)
        listed = rows(tab)
        assert listed["qwen3:0.6b"][1] == "523 MB"
        assert listed["qwen3:0.6b"][5] == "completion, tools, thinking"
        assert listed["llava:7b"][5] == "completion, vision"

        # Pull: the bar moves with the stream, then the model is listed.
        tab.name.setText("gemma3:270m")
        values: list[int] = []
        tab.bar.valueChanged.connect(values.append)
        tab.pull_button.click()
        qtbot.waitUntil(lambda: "gemma3:270m" in tab.model_names(), timeout=30_000)
        assert tab.status.text() in {"Pulled gemma3:270m.", "4 models on Home Ollama."}
        assert len({v for v in values if 0 < v < 100}) >= 3 and max(values) == 100
        assert not tab.bar.isVisible() and tab.pull_button.isEnabled()
        assert rows(tab)["gemma3:270m"][5] == "completion"

        # A name the registry does not have: Ollama's error line, shown.
        tab.name.setText("no-such-model:1b")
        tab.pull_button.click()
        qtbot.waitUntil(lambda: tab.status.text().startswith("Pull failed:"), timeout=WAIT_MS)
        assert "file does not exist" in tab.status.text()

        # Stop closes the stream mid-pull.
        ollama.delay = 0.2
        tab.name.setText("nomic-embed-text:latest")
        tab.pull_button.click()
        qtbot.waitUntil(lambda: tab.stop_button.isVisible() and tab.bar.value() > 0,
                        timeout=WAIT_MS)
        tab.stop_button.click()
        qtbot.waitUntil(lambda: tab.status.text().startswith("Stopped pulling"),
                        timeout=WAIT_MS)
        assert tab.pull_button.isEnabled() and "nomic-embed-text:latest" not in ollama.installed
        ollama.delay = 0.0

        # Delete… asked first, then gone from Ollama and from the list.
        tab.list.setCurrentItem(next(tab.list.topLevelItem(i)
                                     for i in range(tab.list.topLevelItemCount())
                                     if tab.list.topLevelItem(i).text(0) == "qwen3:0.6b"))
        tab.delete_button.click()
        click(visible_box(library, "confirmMessage", qtbot), "Delete")
        qtbot.waitUntil(lambda: "qwen3:0.6b" not in tab.model_names(), timeout=WAIT_MS)
        assert "qwen3:0.6b" not in ollama.installed
        library.close()
