"""Starting and stopping the desktop application.

``run_gui`` builds the QApplication and drives ``run_app`` on a qasync event
loop (``qasync.run``: on Python 3.11 ``asyncio.run(loop_factory=...)`` does not
exist). ``run_app`` is the whole life of the window as one coroutine, so tests
can drive it in-process:

1. open the store (its worker thread does all database work),
2. show the main window,
3. wait until the window is closed, File > Quit is chosen, or Ctrl+C / SIGTERM
   arrives,
4. cancel and await the UI's background tasks, then close the store.

Quitting never calls ``QApplication.quit()`` directly: that would stop the Qt
loop under the coroutine. Every way out ends step 3 instead, and
``asyncio.run`` then stops the loop after cancelling whatever is left.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app import __version__, gc_pause
from app.logs import configure_logging
from app.ops.data import BackupError, apply_pending_restore
from app.services.store_bridge import StoreBridge
from app.settings import APP_NAME, AppSettings
from app.store import AsyncStore
from app.store.errors import DataAccessError, ReadOnlyDataError
from app.ui.agent_list_model import AgentListModel
from app.ui.error_report import ErrorReporter
from app.ui.first_paint import after_first_paint, log_first_paint
from app.ui.interrupts import quit_on_interrupt
from app.ui.main_window import MainWindow
from app.ui.open_files import FileOpenEvents
from app.ui.resources import app_icon
from app.ui.single_instance import Claim, SingleInstance

log = logging.getLogger(__name__)

LOG_HANDLER_NAME = "agentdesk-file"  # the name app.logs gives its file handler


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, named and with the AgentDesk icon (reused if it exists)."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        argv if argv is not None else sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("agentdesk")
    app.setWindowIcon(app_icon())
    # Closing the window ends run_app; Qt must not stop the loop underneath it.
    app.setQuitOnLastWindowClosed(False)
    return app


async def run_app(settings: AppSettings, app: QApplication, *,
                  on_shown: Callable[[MainWindow], None] | None = None,
                  instance: SingleInstance | None = None,
                  open_paths: Sequence[str] = (),
                  file_open_events: bool | None = None) -> int:
    """Open the store, show the main window, and run until it is closed.

    Returns the exit code (0 after a clean shutdown). ``on_shown`` is called
    with the window once it is visible (used by tests). ``instance``: the
    single-instance server whose "show" requests bring the window forward.
    ``open_paths``: files to import once the window shows (``agentdesk PATH``,
    app/ui/open_files.py). ``file_open_events``: take QFileOpenEvent (Finder)
    paths too; None = on macOS only, where they come.
    """
    if file_open_events is None:
        file_open_events = sys.platform == "darwin"
    # Before the store opens: the file that started the app on macOS comes early.
    events = FileOpenEvents(app) if file_open_events else None
    loop = asyncio.get_running_loop()
    quit_requested = asyncio.Event()
    # Uncaught errors anywhere (Qt slots, tasks, threads): logged with their
    # traceback and shown in the window (app/ui/error_report.py).
    reporter = ErrorReporter(app)
    uninstall_hooks = reporter.install(loop)
    try:
        return await _run_window(settings, app, reporter, loop, quit_requested,
                                 on_shown=on_shown, instance=instance,
                                 open_paths=open_paths, events=events)
    finally:
        if events is not None:
            events.close()
            events.deleteLater()
        uninstall_hooks()
        reporter.deleteLater()


async def _run_window(settings: AppSettings, app: QApplication, reporter: ErrorReporter,
                      loop: asyncio.AbstractEventLoop, quit_requested: asyncio.Event, *,
                      on_shown: Callable[[MainWindow], None] | None,
                      instance: SingleInstance | None, open_paths: Sequence[str],
                      events: FileOpenEvents | None) -> int:
    store = await _open_store(settings)
    bridge: StoreBridge | None = None
    try:
        bridge = StoreBridge(store)
        bridge.sig_error.connect(reporter.show_error)
        await _first_run(store, settings)
        _apply_appearance(app, settings)
        model = AgentListModel(bridge)
        window = MainWindow(bridge, model, settings=settings)
        model.setParent(window)
        window.sig_closed.connect(quit_requested.set)
        reporter.attach(window)
        # Tray, quick chat, drag and drop (app/ui/desktop_shell.py).
        from app.ui.desktop_shell import DesktopShell
        shell = DesktopShell(window, bridge, model, settings, instance=instance)
        with quit_on_interrupt(loop, quit_requested.set):
            model.reload()
            log_first_paint(window)  # "window painted" in the log (bench/startup.py)
            after_first_paint(window, lambda: gc_pause.resume(freeze=True))
            window.show()
            shell.start()
            _resume_model_downloads(bridge, settings)
            _offer_first_run(window, bridge, settings)
            window.focus_composer()
            log.info("window shown")
            if on_shown is not None:
                on_shown(window)
            if open_paths:
                shell.opener.open_paths(open_paths)
            if events is not None:
                events.attach(shell.opener.open_paths)
            await quit_requested.wait()
        log.info("shutting down")
        window.sig_closed.disconnect(quit_requested.set)
        if window.isVisible():
            window.quit_app()
        shell.close()
    finally:
        # Background tasks first (they may still await the store), then the store.
        if bridge is not None:
            await bridge.shutdown()
        await store.close()
        log.info("store closed")
    return 0


async def _first_run(store: AsyncStore, settings: AppSettings) -> None:
    """The zero-setup defaults on an empty database (on the store's worker:
    copying the built-in model takes a moment). Never fatal."""
    from app.core.first_run import ensure_defaults

    try:
        result = await store.run(lambda s: ensure_defaults(s, settings))
    except Exception:  # noqa: BLE001 — the window must still open
        log.exception("first run: creating the defaults failed")
        return
    log.info("first run: %s (%s)", result.status, result.message)


def _resume_model_downloads(bridge: StoreBridge, settings: AppSettings) -> None:
    """Continue the model downloads an earlier run left (app/ui/models/service.py)."""
    from app.ui.models.service import service_for

    bridge.spawn(service_for(bridge, settings).resume_if_pending(), name="resume-downloads")


def _offer_first_run(window: MainWindow, bridge: StoreBridge, settings: AppSettings) -> None:
    """Offer a chat model while none is set up (app/ui/first_run_dialog.py);
    its download goes through the app's one download manager."""
    from app.ui.first_run_dialog import offer_first_run, select_created_agent
    from app.ui.models.service import service_for

    bridge.spawn(offer_first_run(window, bridge, settings, service_for(bridge, settings).ready,
                                 on_agent=lambda agent: select_created_agent(window, agent)),
                 name="first-run-offer")


def _apply_appearance(app: QApplication, settings: AppSettings) -> None:
    from app.ui.theme import theme_manager

    theme_manager(app).apply(settings.ui.theme, settings.ui.font_size)


class StartupError(Exception):
    """The application cannot start; the message is for the person starting it."""


async def _open_store(settings: AppSettings) -> AsyncStore:
    path = settings.database_path
    try:
        _apply_pending_restore(settings)
        # Not while another process (an `agentdesk chat` in a terminal) has
        # the data open: its streaming reply may be live (writer_lease.py).
        store = await AsyncStore.open(path, recover="unless_shared")
    except DataAccessError as exc:   # read-only, damaged, empty: says what to do
        log.warning("cannot open database %s: %s", path, exc)
        raise StartupError(str(exc)) from exc
    except Exception as exc:  # unreadable, not a database, schema too new, ...
        log.exception("cannot open database %s", path)
        raise StartupError(f"cannot open the database {path}: {exc}") from exc
    log.info("store opened: %s", store.path)
    return store


def _apply_pending_restore(settings: AppSettings) -> None:
    """Put a restore chosen in Settings > Data in place before the store opens.
    A staged backup that fails its checks is dropped; the current database
    stays and the app starts normally."""
    try:
        kept = apply_pending_restore(settings.home)
    except BackupError as exc:
        log.warning("the scheduled restore was not applied: %s", exc)
        return
    if kept is not None:
        log.info("restored a backup; the previous database is kept at %s", kept)


def _ensure_log_file(settings: AppSettings) -> None:
    """Log to the data folder unless the caller (the CLI) already set that up."""
    if any(h.get_name() == LOG_HANDLER_NAME for h in logging.getLogger("app").handlers):
        return
    configure_logging(settings.log_dir, level=settings.logging.level,
                      max_bytes=settings.logging.max_bytes,
                      backups=settings.logging.backups)


def show_startup_error(message: str) -> None:
    """Why the application cannot start, in a box (plain text: the message
    names paths), waited for: no event loop runs yet or any more."""
    create_application()
    box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} cannot start", message,
                      QMessageBox.StandardButton.Ok)
    box.setObjectName("startupError")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def _writable_data(settings: AppSettings) -> None:
    """StartupError when the data folder cannot be written: the window needs
    to (the database, its log, the single-instance lock); the CLI's read
    commands still work there."""
    home = settings.home
    if home.is_dir() and not os.access(home, os.W_OK | os.X_OK):
        raise StartupError(str(ReadOnlyDataError.at(
            settings.database_path, "AgentDesk needs to write there")))


def run_gui(settings: AppSettings, open_paths: Sequence[str] = ()) -> int:
    """Start the desktop application; returns the process exit code.
    ``open_paths``: files to import (handed to the running instance if there is one)."""
    try:
        _writable_data(settings)
        _ensure_log_file(settings)
    except (StartupError, OSError) as exc:
        message = str(exc) if isinstance(exc, StartupError) else (
            f"cannot write the log in {settings.log_dir}: {exc.strerror or exc}")
        sys.stderr.write(f"agentdesk: {message}\n")
        show_startup_error(message)
        return 1
    app = create_application()
    # One instance per data folder: a second launch asks the first to come
    # forward and ends here, before the database is opened.
    instance = SingleInstance(settings.home)
    if instance.claim(open_paths) is Claim.FORWARDED:
        return 0
    log.info("AgentDesk started (version %s, data folder %s)", __version__, settings.home)
    try:
        code = qasync.run(run_app(settings, app, instance=instance, open_paths=open_paths))
    except StartupError as exc:
        sys.stderr.write(f"agentdesk: {exc}\n")
        show_startup_error(str(exc))
        return 1
    finally:
        instance.close()
    log.info("AgentDesk stopped (exit code %s)", code)
    return code
