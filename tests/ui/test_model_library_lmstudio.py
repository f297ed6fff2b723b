"""The Model Library's LM Studio tab against the in-test LM Studio servers
(tests/providers/lmstudio_admin_server.py: REST API v1 with load/unload, as
LM Studio 0.4+ documents it; tests/providers/lmstudio_server.py: an older
LM Studio with REST API v0 only): shown only when an LM Studio provider is
configured; the models with type, size, quantization, context and state;
Load and Unload enabled by the state, the state shown after each; on an old
LM Studio both buttons disabled with the sentence that says why and what to
do; a server that is down (or goes down) said in the status line; hostile
names shown as bounded plain text; the window closed and reopened."""

from __future__ import annotations

import shiboken6
from model_library_support import open_library
from PySide6.QtCore import Qt
from window_support import WAIT_MS, open_window

from app.domain import ProviderConfig
from app.providers.lmstudio_admin import NO_LOAD_NOTE
from app.store import Store
from tests.providers.fault_server import closed_port
from tests.providers.lmstudio_admin_server import LMStudioV1Server
from tests.providers.lmstudio_server import LMStudioServer

GEMMA = "gemma-3-270m-it-qat"
QWEN_VL = "qwen/qwen3-vl-4b"
NOMIC = "text-embedding-nomic-embed-text-v1.5-embedding"


def add_lmstudio(db_path, url: str, name: str = "Desk LM Studio") -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name=name, kind="lmstudio", base_url=url))


def rows(tab) -> dict[str, list[str]]:
    return {tab.list.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole):
            [tab.list.topLevelItem(i).text(c) for c in range(tab.list.columnCount())]
            for i in range(tab.list.topLevelItemCount())}


def select(tab, key: str) -> None:
    tab.select(key)
    assert tab.current_model() == key


def open_tab(window, qtbot, count: int):
    library = open_library(window, qtbot)
    tab = library.lmstudio
    assert tab is not None
    assert library.tabs.tabText(library.tabs.indexOf(tab)) == "LM Studio"
    library.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: len(tab.models) == count, timeout=WAIT_MS)
    return library, tab


def wait_state(tab, qtbot, key: str, state: str) -> None:
    qtbot.waitUntil(lambda: rows(tab).get(key, [""] * 6)[5] == state
                    and tab.refresh_button.isEnabled(), timeout=WAIT_MS)


def test_no_lmstudio_tab_without_an_lmstudio_provider(aio, bridge, settings, db_path, qtbot):
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="Cloud", kind="openai",
                                              base_url="http://127.0.0.1:9/v1"))
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    assert library.lmstudio is None
    assert "LM Studio" not in [library.tabs.tabText(i) for i in range(library.tabs.count())]
    library.close()


def test_a_whole_session_list_load_unload_close_and_reopen(aio, bridge, settings, db_path,
                                                           qtbot):
    with LMStudioV1Server() as studio:
        add_lmstudio(db_path, studio.url + "/v1")       # the /v1 form people paste
        window = open_window(qtbot, bridge, settings)
        library, tab = open_tab(window, qtbot, 3)
        assert tab.provider.currentText() == "Desk LM Studio"
        listed = rows(tab)
        assert listed[GEMMA] == [GEMMA, "llm", "241 MB", "Q4_0", "32K", "Loaded"]
        assert listed[QWEN_VL] == [QWEN_VL, "llm", "3.3 GB", "Q4_K_M", "256K", "Not loaded"]
        assert listed[NOMIC][1:] == ["embedding", "274 MB", "F16", "2K", "Not loaded"]
        assert tab.status.text() == "3 models on Desk LM Studio."
        assert not tab.note.isVisible()
        # Nothing selected: neither button.
        assert not tab.load_button.isEnabled() and not tab.unload_button.isEnabled()

        # A model that is not loaded: Load only; loading it is seen as loaded.
        select(tab, QWEN_VL)
        assert tab.load_button.isEnabled() and not tab.unload_button.isEnabled()
        tab.load_button.click()
        wait_state(tab, qtbot, QWEN_VL, "Loaded")
        assert studio.loaded()[QWEN_VL] == [QWEN_VL]
        assert tab.status.text() == f"Loaded {QWEN_VL} in 1.2 s."
        assert tab.current_model() == QWEN_VL                       # still selected
        assert not tab.load_button.isEnabled() and tab.unload_button.isEnabled()
        assert [r.body for r in studio.requests_to("/api/v1/models/load")] == [
            b'{"model":"qwen/qwen3-vl-4b"}']

        # Unload it again: seen as not loaded, Load back.
        tab.unload_button.click()
        wait_state(tab, qtbot, QWEN_VL, "Not loaded")
        assert studio.loaded()[QWEN_VL] == [] and tab.status.text() == f"Unloaded {QWEN_VL}."
        assert tab.load_button.isEnabled() and not tab.unload_button.isEnabled()

        # Loaded elsewhere meanwhile (in LM Studio itself): Refresh shows it.
        studio.model(NOMIC)["loaded_instances"].append({"id": NOMIC, "config": {}})
        studio.model(NOMIC)["loaded_instances"].append({"id": f"{NOMIC}:2", "config": {}})
        tab.refresh_button.click()
        wait_state(tab, qtbot, NOMIC, "Loaded (2 instances)")
        select(tab, NOMIC)
        tab.unload_button.click()                                   # every instance of it
        wait_state(tab, qtbot, NOMIC, "Not loaded")
        assert studio.loaded()[NOMIC] == []

        # Closed and opened again: the tab lists and loads as before.
        library.close()
        qtbot.waitUntil(lambda: not shiboken6.isValid(library), timeout=WAIT_MS)
        again, tab = open_tab(window, qtbot, 3)
        assert again is not library and rows(tab)[QWEN_VL][5] == "Not loaded"
        select(tab, QWEN_VL)
        tab.load_button.click()
        wait_state(tab, qtbot, QWEN_VL, "Loaded")
        assert studio.loaded()[QWEN_VL] == [QWEN_VL]

        # The server goes away: the next refresh says so in the status line.
        studio.stop()
        tab.refresh_button.click()
        qtbot.waitUntil(lambda: tab.status.text().startswith("Cannot list"), timeout=WAIT_MS)
        assert "Desk LM Studio" in tab.status.text() and "\n" not in tab.status.text()
        assert tab.models == [] and tab.list.topLevelItemCount() == 0
        assert not tab.load_button.isEnabled() and not tab.unload_button.isEnabled()
        again.close()


def test_an_old_lm_studio_lists_with_disabled_buttons_and_says_why(aio, bridge, settings,
                                                                   db_path, qtbot):
    with LMStudioServer() as studio:                                # v0 only: before 0.4.0
        add_lmstudio(db_path, studio.url)
        window = open_window(qtbot, bridge, settings)
        library, tab = open_tab(window, qtbot, 3)
        listed = rows(tab)
        assert listed["meta-llama-3.1-8b-instruct"][1:] == [
            "llm", "—", "Q4_K_M", "128K", "Loaded"]
        assert listed["qwen2-vl-7b-instruct"][5] == "Not loaded"
        assert tab.note.isVisible() and tab.note.text() == NO_LOAD_NOTE
        assert "LM Studio itself" in tab.note.text()
        for key in ("meta-llama-3.1-8b-instruct", "qwen2-vl-7b-instruct"):
            select(tab, key)
            assert not tab.load_button.isEnabled() and not tab.unload_button.isEnabled()
            assert tab.load_button.toolTip() == NO_LOAD_NOTE
        tab.load_selected()                 # even asked directly: nothing is sent
        tab.unload_selected()
        qtbot.waitUntil(lambda: not library.busy, timeout=WAIT_MS)
        assert not [r for r in studio.requests if r.path.endswith("load")]
        library.close()


def test_a_server_that_is_down_is_one_status_line(aio, bridge, settings, db_path, qtbot):
    add_lmstudio(db_path, f"http://127.0.0.1:{closed_port()}/v1", name="Gone Studio")
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    tab = library.lmstudio
    assert tab is not None
    qtbot.waitUntil(lambda: tab.status.text().startswith("Cannot list"), timeout=WAIT_MS)
    assert "Gone Studio" in tab.status.text() and "Traceback" not in tab.status.text()
    assert tab.list.topLevelItemCount() == 0 and not tab.note.isVisible()
    assert not tab.load_button.isEnabled() and not tab.unload_button.isEnabled()
    library.close()


def test_hostile_names_are_bounded_plain_text(aio, bridge, settings, db_path, qtbot):
    hostile = "<b>bold</b><img src='/etc/passwd'>\x1b[2J" + "x" * 500
    with LMStudioV1Server() as studio:
        model = studio.model(QWEN_VL)
        model["key"] = hostile
        model["display_name"] = "<a href='https://evil.example'>click</a>"
        add_lmstudio(db_path, studio.url)
        window = open_window(qtbot, bridge, settings)
        library, tab = open_tab(window, qtbot, 3)
        item = next(tab.list.topLevelItem(i) for i in range(tab.list.topLevelItemCount())
                    if tab.list.topLevelItem(i).text(0).startswith("<b>"))
        shown = item.text(0)
        assert len(shown) <= 120 and shown.endswith("…") and "\x1b" not in shown
        assert item.toolTip(0).startswith("<p style='white-space:pre-wrap'>&lt;a href")
        select(tab, item.data(0, Qt.ItemDataRole.UserRole))
        tab.load_button.click()
        qtbot.waitUntil(lambda: tab.status.text().startswith(("Loaded <b>", "Not loaded:")),
                        timeout=WAIT_MS)
        assert tab.status.textFormat() == Qt.TextFormat.PlainText
        assert len(tab.status.text()) < 600
        library.close()
