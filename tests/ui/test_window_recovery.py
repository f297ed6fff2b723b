"""The window recovers interrupted replies only when it is alone: a reply a
running ``agentdesk chat`` (another process) is streaming is not marked
``partial`` when the window starts; once that process is gone (killed, so its
lock on ``<database>-writers`` is dropped by the OS) the next start recovers it
(``Store(recover="unless_shared")``, app/store/writer_lease.py)."""

from __future__ import annotations

from pathlib import Path

from app.settings import AppSettings
from app.store import Store
from app.ui.application import run_app
from app.ui.main_window import MainWindow
from tests.support.database_holder import held_open, kill_holder, streaming_reply

WAIT_MS = 10000


def _status(db_path: Path, message_id: int) -> str:
    with Store(db_path, recover=False) as store:
        return store.messages.get(message_id).status


def _start_and_close_window(aio, qapp, qtbot, settings: AppSettings) -> None:
    shown: list[MainWindow] = []
    task = aio.start(run_app(settings, qapp, on_shown=shown.append))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    shown[0].close()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == 0


def test_the_window_leaves_another_process_live_reply_streaming_until_it_is_killed(
        aio, qapp, qtbot, settings: AppSettings) -> None:
    db_path = settings.database_path
    db_path.parent.mkdir(parents=True, exist_ok=True)
    live = streaming_reply(db_path)
    with held_open(db_path) as holder:
        _start_and_close_window(aio, qapp, qtbot, settings)
        assert _status(db_path, live) == "streaming"      # it may be live: left alone
        kill_holder(holder)                                 # no cleanup runs
    _start_and_close_window(aio, qapp, qtbot, settings)
    assert _status(db_path, live) == "partial"
    with Store(db_path, recover=False) as store:
        assert store.messages.get(live).content == "so far"
