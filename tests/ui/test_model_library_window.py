"""The Model Library window as a person uses it in one application lifetime:
opened from View > Model Library…, closed and opened again; the catalogue
searched and filtered with this computer's pick; a real download from the
loopback GGUF server (throttled) with its progress bar moving, paused,
resumed, finished and then listed under Installed, a second one cancelled
(its part file and state gone); the theme switched both ways while it is open.
Import (copy and link) and remove are in test_model_library_installed.py, the
Ollama tab in test_model_library_ollama.py, an app restart in
test_model_library_restart.py."""

from __future__ import annotations

import shiboken6
from model_library_support import (  # noqa: F401 (fixtures)
    LONG_MS, add_entries, catalogue_names, click, loopback_entry, open_library, visible_box)
from PySide6.QtGui import QPalette
from window_support import WAIT_MS, open_window

from app.core.models import catalogue
from app.ui.theme import theme_manager
from tests.support.download_helpers import MB, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server


def test_opened_from_the_menu_once_closed_and_opened_again(aio, bridge, settings, qtbot):
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    assert library.objectName() == "modelLibrary" and library.isVisible()
    assert len(library.catalogue.entries()) == len(catalogue.load_catalogue())
    # Asked again while open: the same window comes forward, no second one.
    window.actions.model_library.trigger()
    assert window.dialogs.get("model-library") is library
    library.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(library), timeout=WAIT_MS)
    again = open_library(window, qtbot)
    assert again is not library and len(again.catalogue.entries()) > 0
    assert window.dialogs.get("model-library") is again
    again.close()


def test_search_and_use_case_filter_with_the_recommended_pick(aio, bridge, settings, qtbot):
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    tab = library.catalogue
    everything = catalogue_names(library)
    assert tab.recommended.text().startswith("Recommended for this computer (chat)")
    qtbot.keyClicks(tab.search, "coder")
    names = catalogue_names(library)
    assert names == [e.name for e in catalogue.search("coder")]
    assert 0 < len(names) < len(everything)
    tab.search.clear()
    assert catalogue_names(library) == everything
    tab.use_case.setCurrentIndex(tab.use_case.findData("embedding"))
    assert tab.entries() and all("embedding" in e.use_cases for e in tab.entries())
    assert "(embedding)" in tab.recommended.text()
    if tab.pick is not None:   # the pick is an embedding model and its row is starred
        assert "embedding" in tab.pick.use_cases
        starred = [tab.list.topLevelItem(i).text(0) for i in range(tab.list.topLevelItemCount())
                   if tab.list.topLevelItem(i).text(0).startswith("★")]
        assert len(starred) == 1 and tab.pick.name in starred[0]
    tab.use_case.setCurrentIndex(0)
    assert catalogue_names(library) == everything
    qtbot.keyClicks(tab.search, "no model is called this")
    assert tab.entries() == [] and "No catalogue model matches" in tab.details.text()
    library.close()


def test_download_pause_resume_finish_and_cancel(aio, bridge, settings, qtbot, real_gguf,
                                                 add_entries):
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=15 * MB)) as server:
        first = loopback_entry(server, "loopback-one", "loopback-one.gguf")
        second = loopback_entry(server, "loopback-two", "loopback-two.gguf")
        add_entries(first, second)
        window = open_window(qtbot, bridge, settings)
        library = open_library(window, qtbot)
        models = library.service.models_dir
        # Download from the catalogue row: the row says so, a Downloads row appears.
        library.catalogue.download_button(first.id).click()
        downloads = library.downloads
        qtbot.waitUntil(lambda: len(downloads.rows) == 1, timeout=WAIT_MS)
        assert library.tabs.currentWidget() is downloads
        row = next(iter(downloads.rows.values()))
        qtbot.waitUntil(lambda: row.bar.value() >= 2, timeout=LONG_MS)
        seen = row.bar.value()
        qtbot.waitUntil(lambda: row.bar.value() > seen, timeout=LONG_MS)   # it moves
        qtbot.waitUntil(lambda: "MB/s" in row.status.text() and "left" in row.status.text(),
                        timeout=LONG_MS)
        assert library.catalogue.download_button(first.id) is None   # "Downloading…" now
        # Several at once: the second one runs beside the first.
        library.catalogue.download_button(second.id).click()
        qtbot.waitUntil(lambda: len(downloads.rows) == 2, timeout=WAIT_MS)
        other = next(r for r in downloads.rows.values() if r is not row)
        qtbot.waitUntil(lambda: other.progress.state == "running" and other.bar.value() >= 1,
                        timeout=LONG_MS)
        assert library.tabs.tabText(library.tabs.indexOf(downloads)) == "Downloads (2)"

        # Pause: the bytes stay in the part file, nothing under the final name.
        assert row.pause_button.isVisible() and not row.resume_button.isVisible()
        row.pause_button.click()
        qtbot.waitUntil(lambda: row.progress.state == "paused", timeout=WAIT_MS)
        assert row.resume_button.isVisible() and not row.pause_button.isVisible()
        assert row.status.text().startswith("Paused")
        part = models / "loopback-one.gguf.part"
        kept = part.stat().st_size
        assert kept > 0 and not (models / "loopback-one.gguf").exists()
        paused_value = row.bar.value()

        # Cancel the second: asked first, then its part and state are gone.
        other.cancel_button.click()
        box = visible_box(library, "confirmMessage", qtbot)
        click(box, "Cancel Download")
        qtbot.waitUntil(lambda: len(downloads.rows) == 1, timeout=WAIT_MS)
        assert not (models / "loopback-two.gguf.part").exists()
        assert not (models / "loopback-two.gguf").exists()
        assert [p.name for p in (models / ".downloads").iterdir()] == [f"{row.download_id}.json"]
        assert library.catalogue.download_button(second.id) is not None   # offered again

        # Resume at full speed: continues from the kept bytes (Range), then done.
        server.options.throttle_bps = None
        row.resume_button.click()
        qtbot.waitUntil(lambda: row.progress.state == "done", timeout=LONG_MS)
        assert row.bar.value() == 100 >= paused_value
        starts = server.range_starts()
        assert kept in starts     # the resumed request asked for the rest only
        assert (models / "loopback-one.gguf").stat().st_size == real_gguf.size
        assert not part.exists()

    # Finished: listed under Installed, and Installed in the catalogue.
    installed = library.installed
    qtbot.waitUntil(lambda: "loopback-one" in installed.names(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: library.catalogue.download_button(first.id) is None,
                    timeout=WAIT_MS)
    assert library.tabs.tabText(library.tabs.indexOf(downloads)) == "Downloads"
    library.close()


def test_theme_switched_both_ways_while_open(aio, bridge, settings, qtbot):
    manager = theme_manager()
    manager.apply("light")
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)

    def lightness() -> int:
        return library.catalogue.list.palette().color(QPalette.ColorRole.Base).lightness()

    def picture_lightness() -> float:
        image = library.grab().toImage()
        values = [image.pixelColor(x, y).lightness()
                  for x in range(0, image.width(), 9) for y in range(0, image.height(), 9)]
        return sum(values) / len(values)

    assert lightness() > 200 and picture_lightness() > 170
    manager.apply("dark")
    qtbot.waitUntil(lambda: lightness() < 80, timeout=WAIT_MS)
    assert picture_lightness() < 90
    assert len(library.catalogue.entries()) == len(catalogue.load_catalogue())
    manager.apply("light")
    qtbot.waitUntil(lambda: lightness() > 200, timeout=WAIT_MS)
    assert picture_lightness() > 170
    library.close()


def test_closing_the_window_leaves_the_download_running(aio, bridge, settings, qtbot,
                                                        real_gguf, add_entries):
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=20 * MB)) as server:
        entry = loopback_entry(server, "loopback-close", "close.gguf")
        add_entries(entry)
        window = open_window(qtbot, bridge, settings)
        library = open_library(window, qtbot)
        service = library.service
        library.catalogue.download_button(entry.id).click()
        qtbot.waitUntil(lambda: len(library.downloads.rows) == 1, timeout=WAIT_MS)
        library.close()
        qtbot.waitUntil(lambda: not shiboken6.isValid(library), timeout=WAIT_MS)
        # Progress goes on with no window to show it (and nothing touches the old one).
        before = service.progress()[0].received
        qtbot.waitUntil(lambda: service.progress()[0].received > before + 2 * MB,
                        timeout=LONG_MS)
        again = open_library(window, qtbot)
        row = next(iter(again.downloads.rows.values()))
        assert row.progress.state == "running" and row.progress.received > before + 2 * MB
        assert row.bar.value() == row.progress.received * 100 // row.progress.total
        server.options.throttle_bps = None
        qtbot.waitUntil(lambda: row.progress.state == "done", timeout=LONG_MS)
        qtbot.waitUntil(lambda: "close" in again.installed.names(), timeout=WAIT_MS)
        again.close()
