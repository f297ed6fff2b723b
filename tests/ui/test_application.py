"""Application start and clean shutdown, in-process (run_app) and as a process."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ui_helpers import names, seed_agents

from app import gc_pause
from app.domain import AgentSpec
from app.logs import LOG_FILENAME
from app.settings import AppSettings
from app.ui.application import StartupError, create_application, run_app
from app.ui.main_window import MainWindow

WAIT_MS = 5000
REPO = Path(__file__).resolve().parents[2]
FORBIDDEN_ON_STDERR = ("Task was destroyed", "never awaited", "unclosed", "Traceback",
                       "QThread", "Error")


def test_create_application_names_the_app_and_sets_the_icon(qapp) -> None:
    app = create_application()
    assert app is qapp
    assert app.applicationName() == "AgentDesk"
    assert app.organizationName() == "AgentDesk"
    assert not app.windowIcon().isNull()
    assert app.quitOnLastWindowClosed() is False


def _start(aio, qapp, settings: AppSettings):
    shown: list[MainWindow] = []
    task = aio.start(run_app(settings, qapp, on_shown=shown.append))
    return task, shown


def test_run_app_shows_the_stored_agents_and_returns_0_when_the_window_closes(
        aio, qapp, qtbot, settings: AppSettings, caplog) -> None:
    seed_agents(settings.database_path, [AgentSpec(name="Bravo"), AgentSpec(name="alpha")])
    task, shown = _start(aio, qapp, settings)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    window = shown[0]
    assert window.isVisible()
    model = window.agent_list.model()
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    assert names(model) == ["alpha", "Bravo"]

    window.close()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)

    assert task.result() == 0
    assert aio.pending_tasks() == set()
    _assert_store_closed(settings, caplog)


def test_quit_action_ends_run_app_cleanly(aio, qapp, qtbot, settings: AppSettings,
                                         caplog) -> None:
    task, shown = _start(aio, qapp, settings)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)

    shown[0].quit_action.trigger()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)

    assert task.result() == 0
    assert not shown[0].isVisible()
    _assert_store_closed(settings, caplog)


def test_collection_paused_at_start_resumes_frozen_once_the_window_is_drawn(
        aio, qapp, qtbot, settings: AppSettings) -> None:
    """app/gc_pause.py: python -m app pauses the collector; run_app resumes it
    after the first paint, with the start-up objects frozen."""
    gc.unfreeze()
    gc_pause.pause()
    try:
        shown: list[MainWindow] = []
        collecting_when_shown: list[bool] = []
        task = aio.start(run_app(settings, qapp, on_shown=lambda window: (
            collecting_when_shown.append(gc.isenabled()), shown.append(window))))
        qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
        assert collecting_when_shown == [False]   # shown, not drawn yet

        qtbot.waitUntil(gc.isenabled, timeout=WAIT_MS)
        assert not gc_pause.is_paused()
        assert gc.get_freeze_count() > 0

        shown[0].close()
        qtbot.waitUntil(task.done, timeout=WAIT_MS)
        assert task.result() == 0
    finally:
        gc_pause.resume(freeze=False)
        gc.unfreeze()
        gc.enable()


def test_closing_while_a_background_task_runs_cancels_it(
        aio, qapp, qtbot, settings: AppSettings, monkeypatch, caplog) -> None:
    """A task still waiting when the window closes is cancelled, not left pending."""
    task, shown = _start(aio, qapp, settings)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    window = shown[0]
    started = asyncio.Event()

    async def slow_work() -> None:
        started.set()
        await asyncio.sleep(3600)

    window._spawn(slow_work(), "slow-work")   # as the window's own tasks are started
    qtbot.waitUntil(started.is_set, timeout=WAIT_MS)

    window.close()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)

    assert task.result() == 0
    assert aio.pending_tasks() == set()
    _assert_store_closed(settings, caplog)


def test_unreadable_database_stops_startup_with_a_clear_error(
        aio, qapp, qtbot, settings: AppSettings) -> None:
    settings.database_path.parent.mkdir(parents=True, exist_ok=True)
    settings.database_path.write_bytes(b"this is not an SQLite file" * 200)
    shown: list[MainWindow] = []

    with pytest.raises(StartupError, match="cannot open the database"):
        aio.run(run_app(settings, qapp, on_shown=shown.append))
    assert shown == []


def _assert_store_closed(settings: AppSettings, caplog: pytest.LogCaptureFixture) -> None:
    # SQLite checkpoints and removes the WAL file when the last connection closes.
    assert settings.database_path.exists()
    assert not Path(f"{settings.database_path}-wal").exists()
    messages = [r.getMessage() for r in caplog.records if r.name == "app.ui.application"]
    assert messages[-2:] == ["shutting down", "store closed"]


@pytest.fixture(autouse=True)
def _capture_app_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app")


# -- as a separate process --------------------------------------------------------------


def _launch(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "AGENTDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONWARNINGS": "default", "PYTHONDEVMODE": "1"}
    return subprocess.Popen([sys.executable, "-m", "app"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_log(proc: subprocess.Popen[str], log: Path, text: str,
                  timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(encoding="utf-8"):
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the app exited early ({proc.returncode}):\n{err}")
        time.sleep(0.05)
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"the log never said {text!r}:\n{err}")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_process_shuts_down_cleanly_on_signal(tmp_path: Path, signum: int) -> None:
    seed_agents(tmp_path / "agentdesk.db", [AgentSpec(name="Seeded")])
    log = tmp_path / "logs" / LOG_FILENAME
    proc = _launch(tmp_path)
    _wait_for_log(proc, log, "window shown")

    proc.send_signal(signum)
    try:
        _out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
        pytest.fail(f"the app did not exit after {signal.Signals(signum).name}:\n{err}")

    assert proc.returncode == 0, err
    for marker in FORBIDDEN_ON_STDERR:
        assert marker not in err, err
    text = log.read_text(encoding="utf-8")
    assert "AgentDesk started" in text and "store closed" in text
    assert not (tmp_path / "agentdesk.db-wal").exists()


def test_a_restore_scheduled_in_settings_is_applied_on_the_next_start(
        aio, qapp, qtbot, settings: AppSettings, tmp_path: Path) -> None:
    """Settings > Data > Restore stages a backup; run_app puts it in place
    before the store opens, so the window shows the backup's agents."""
    from app.ops.data import request_restore

    backup = tmp_path / "backup" / "agentdesk.db"
    seed_agents(backup, [AgentSpec(name="From backup")])
    seed_agents(settings.database_path, [AgentSpec(name="Current")])
    request_restore(settings.home, backup)

    task, shown = _start(aio, qapp, settings)
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    model = shown[0].agent_list.model()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=WAIT_MS)
    assert names(model) == ["From backup"]
    shown[0].close()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == 0
