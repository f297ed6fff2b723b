"""Downloads survive an application restart, as a person meets it: the real
application (run_app) started, a download begun from the Model Library,
the app quit while it runs; started again, the download continues by itself
(from its kept bytes, HTTP Range), the reopened window shows its row, and it
ends installed."""

from __future__ import annotations

from model_library_support import (  # noqa: F401 (fixture)
    LONG_MS, add_entries, loopback_entry, open_library)
from window_support import WAIT_MS, start_app, stop_app

from app.core.models import download_state
from tests.support.download_helpers import MB, real_gguf  # noqa: F401 (fixture)
from tests.support.gguf_server import ServerOptions, gguf_server


def test_download_continues_after_the_app_restarts(aio, qapp, qtbot, settings, real_gguf,
                                                   add_entries):
    with gguf_server(real_gguf.path, ServerOptions(throttle_bps=10 * MB)) as server:
        entry = loopback_entry(server, "loopback-restart", "restart.gguf")
        add_entries(entry)
        task, window = start_app(aio, qapp, qtbot, settings)
        library = open_library(window, qtbot)
        library.catalogue.download_button(entry.id).click()
        qtbot.waitUntil(lambda: len(library.downloads.rows) == 1, timeout=WAIT_MS)
        row = next(iter(library.downloads.rows.values()))
        qtbot.waitUntil(lambda: row.progress.received >= 3 * MB, timeout=LONG_MS)
        models = library.service.models_dir
        stop_app(qtbot, task, window)          # quit while it runs

        part = models / "restart.gguf.part"
        kept = part.stat().st_size
        saved = download_state.load_all(models)
        assert kept >= 3 * MB and not (models / "restart.gguf").exists()
        assert [(r.filename, r.state) for r in saved] == [("restart.gguf", "running")]

        server.options.throttle_bps = None
        task, window = start_app(aio, qapp, qtbot, settings)
        # By itself: the window is not even open.
        qtbot.waitUntil((models / "restart.gguf").exists, timeout=LONG_MS)
        assert kept in server.range_starts()[1:]      # continued, not started again
        assert (models / "restart.gguf").stat().st_size == real_gguf.size
        library = open_library(window, qtbot)
        qtbot.waitUntil(lambda: len(library.downloads.rows) == 1, timeout=WAIT_MS)
        row = next(iter(library.downloads.rows.values()))
        assert row.download_id == saved[0].id
        qtbot.waitUntil(lambda: row.progress.state == "done", timeout=WAIT_MS)
        assert row.bar.value() == 100
        qtbot.waitUntil(lambda: "restart" in library.installed.names(), timeout=WAIT_MS)
        stop_app(qtbot, task, window)
