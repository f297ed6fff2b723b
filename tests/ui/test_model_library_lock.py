"""The Model Library window while ``agentdesk models pull`` (another, real
process) downloads the same model: the window's start-up resume skips it and
its row says so in a plain sentence; Resume and Cancel are refused on the row
(no dialog) without touching the part; once the CLI finished, Resume shows it
done and it is listed under Installed; closed and reopened, the window shows
the same (app/core/models/download_lock.py)."""

from __future__ import annotations

import shiboken6
from model_library_support import (  # noqa: F401 (fixture)
    LONG_MS, add_entries, click, loopback_entry, open_library, visible_box)
from PySide6.QtWidgets import QMessageBox
from window_support import WAIT_MS, open_window

from app.core.models import download_state
from app.core.models.download_lock import busy_message
from tests.support.download_helpers import MB, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server
from tests.support.pull_process import finish, start_pull, wait_for_part

FILENAME = "loopback-locked.gguf"


def _open_boxes(library) -> list[QMessageBox]:
    return [box for box in library.findChildren(QMessageBox) if box.isVisible()]


def test_a_download_the_cli_is_running_is_left_to_it(aio, bridge, settings, qtbot, real_gguf,
                                                     add_entries):
    models = settings.home / "models"
    part = download_state.part_path(models, FILENAME)
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=4 * MB)) as server:
        entry = loopback_entry(server, "loopback-locked", FILENAME)
        add_entries(entry)
        child = start_pull(settings.home, entry)
        try:
            wait_for_part(models, FILENAME, 2 * MB, child)
            window = open_window(qtbot, bridge, settings)
            library = open_library(window, qtbot)
            qtbot.waitUntil(lambda: len(library.downloads.rows) == 1, timeout=WAIT_MS)
            row = next(iter(library.downloads.rows.values()))
            library.tabs.setCurrentWidget(library.downloads)
            assert row.status.text() == busy_message(FILENAME)
            assert row.resume_button.isVisible() and not row.pause_button.isVisible()
            before = part.stat().st_size

            told: list[str | None] = []      # the manager's notices: refused, and why
            library.service.sig_progress.connect(lambda p: told.append(p.error))
            row.resume_button.click()                      # still the other's: refused
            qtbot.waitUntil(lambda: len(told) == 1, timeout=WAIT_MS)
            qtbot.waitUntil(lambda: row.resume_button.isEnabled(), timeout=WAIT_MS)
            row.cancel_button.click()
            click(visible_box(library, "confirmMessage", qtbot), "Cancel Download")
            qtbot.waitUntil(lambda: len(told) == 2, timeout=WAIT_MS)
            qtbot.waitUntil(lambda: row.cancel_button.isEnabled(), timeout=WAIT_MS)
            assert told == [busy_message(FILENAME)] * 2
            assert row.progress.state == "paused"
            assert row.status.text() == busy_message(FILENAME)
            assert _open_boxes(library) == []              # said on the row, no dialog
            assert part.exists() and part.stat().st_size >= before   # part left alone
            assert child.poll() is None

            server.options.throttle_bps = None
            done = finish(child)
        finally:
            if child.poll() is None:
                child.kill()
        assert done.code == 0, done.err
        assert (models / FILENAME).stat().st_size == real_gguf.size
        requests = len(server.requests)

        row.resume_button.click()              # the file is there now: done, no download
        qtbot.waitUntil(lambda: row.progress.state == "done", timeout=WAIT_MS)
        assert row.bar.value() == 100 and len(server.requests) == requests
        assert "Another AgentDesk process finished this download." in row.note.text()
        qtbot.waitUntil(lambda: "loopback-locked" in library.installed.names(),
                        timeout=WAIT_MS)

    library.close()
    qtbot.waitUntil(lambda: not shiboken6.isValid(library), timeout=WAIT_MS)
    again = open_library(window, qtbot)
    qtbot.waitUntil(lambda: len(again.downloads.rows) == 1, timeout=WAIT_MS)
    assert next(iter(again.downloads.rows.values())).progress.state == "done"
    assert "loopback-locked" in again.installed.names()
    assert download_state.load_all(models) == []
    again.close()
