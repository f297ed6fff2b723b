"""Units of the Model Library window: the words under a download bar, sizes
and durations, bounded untrusted text, which buttons a download row offers in
each state, the one service per application, and hostile strings from the
catalogue, a GGUF file and a download error shown as text, never as HTML."""

from __future__ import annotations

import pytest
from model_library_support import add_entries, click, open_library, visible_box  # noqa: F401
from plain_text_support import HOSTILE, hostile_problems, shown_tooltip
from test_model_library_installed import TEMPLATE
from window_support import WAIT_MS, open_window

from app.domain.model_library import CatalogueEntry, DownloadProgress, ModelFile
from app.ui.models import text
from app.ui.models.downloads_tab import DownloadRow
from app.ui.models.service import service_for
from tests.support.gguf_writer import write_gguf


def progress(state: str, **fields) -> DownloadProgress:
    return DownloadProgress(id="x", filename="m.gguf", state=state, **fields)


def test_progress_line_for_each_state():
    running = progress("running", received=120_000_000, total=253_000_000,
                       bytes_per_s=12_500_000, eta_s=10.6)
    assert text.progress_line(running) == "120 MB of 253 MB · 12.5 MB/s · 11 s left"
    assert text.progress_line(progress("running", received=5_000_000)) == "5 MB"
    assert text.progress_line(progress("paused", received=1_500_000_000, total=4_900_000_000)
                              ) == "Paused · 1.5 GB of 4.9 GB"
    assert text.progress_line(progress("verifying", received=9, total=9)).startswith(
        "Checking the checksum")
    assert text.progress_line(progress("done", received=9, total=253_000_000)) == "Done · 253 MB"
    assert text.progress_line(progress("failed", error="disk full")) == "Failed: disk full"
    assert text.percent(progress("running", received=50, total=200)) == 25
    assert text.percent(progress("running", received=50)) == 0


def test_sizes_durations_and_bounded_text():
    assert [text.size(n) for n in (None, 512, 37_000_000, 4_900_000_000)] == [
        "—", "512 B", "37 MB", "4.9 GB"]
    assert [text.duration(s) for s in (None, 4.4, 125, 7260)] == [
        "", "4 s", "2 min 05 s", "2 h 01 min"]
    assert text.context(32_768) == "32K" and text.context(None) == "—"
    assert text.bounded("a\nb\x1bc") == "a b c"
    long = text.bounded("x" * 1000, 50)
    assert len(long) == 50 and long.endswith("…")


@pytest.mark.parametrize("state, pause, resume, cancel", [
    ("queued", True, False, True), ("running", True, False, True),
    ("paused", False, True, True), ("failed", False, True, True),
    ("verifying", False, False, True), ("done", False, False, False)])
def test_row_buttons_follow_the_state(qtbot, state, pause, resume, cancel):
    row = DownloadRow(progress(state, received=1, total=2))
    qtbot.addWidget(row)
    row.show()
    assert (row.pause_button.isVisible(), row.resume_button.isVisible(),
            row.cancel_button.isVisible()) == (pause, resume, cancel)


def test_one_service_per_application(aio, bridge, settings, qtbot):
    first = service_for(bridge, settings)
    assert service_for(bridge, settings) is first and first.parent() is bridge
    # No earlier downloads: nothing is started at app start.
    assert aio.run(first.resume_if_pending()) is False and not first.started
    assert first.progress() == []


def test_hostile_strings_stay_text(aio, bridge, settings, qtbot, tmp_path, add_entries):
    entry = CatalogueEntry(
        id="hostile", name=HOSTILE, family=HOSTILE, kind="chat", use_cases=["chat"],
        files=[ModelFile(filename="hostile.gguf", urls=["https://example.invalid/h.gguf"],
                         size_bytes=1000, sha256="0" * 64)],
        licence=HOSTILE, ram_bytes=10**9, good_for=HOSTILE, sources=[HOSTILE])
    add_entries(entry)
    window = open_window(qtbot, bridge, settings)
    library = open_library(window, qtbot)
    tab = library.catalogue
    tab.search.setText("hostile")
    assert [e.id for e in tab.entries()] == ["hostile"]
    tab.list.setCurrentItem(tab.list.topLevelItem(0))
    assert HOSTILE in tab.details.text()
    good_for = tab.list.topLevelItem(0).toolTip(6)
    assert shown_tooltip(good_for) == HOSTILE
    library.service.sig_progress.emit(progress("failed", error=HOSTILE))
    assert HOSTILE in library.downloads.rows["x"].status.text()
    path = write_gguf(tmp_path / "odd.gguf", {"general.architecture": "llama",
                                              "general.name": HOSTILE,
                                              "tokenizer.chat_template": TEMPLATE})
    library.ask_import_mode(path)
    click(visible_box(library, "importModeQuestion", qtbot), "Copy")
    qtbot.waitUntil(lambda: "odd" in library.installed.names(), timeout=WAIT_MS)
    library.installed.select("odd")
    library.installed.info_button.click()
    info = visible_box(library, "infoMessage", qtbot)
    assert HOSTILE in info.text()
    assert hostile_problems([library, info]) == []
    info.close()
    library.close()
