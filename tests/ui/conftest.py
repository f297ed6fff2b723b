"""Fixtures for Qt tests: a qasync loop on pytest-qt's QApplication, a real store.

pytest-qt does not run ``QApplication.exec()``; it spins the Qt event loop
inside ``qtbot.waitUntil`` / ``waitSignal``. A qasync loop's callbacks are Qt
timers and queued signals, so once the loop is registered as asyncio's running
loop, asyncio tasks advance whenever a test waits with qtbot.

(qasync's ``already_running=True`` mode is not used: its ``stop()`` calls
``QApplication.exit()`` outside ``exec()``, after which this process's Qt loop
no longer delivers the next test's timer events.)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
import shiboken6
from PySide6.QtWidgets import QApplication

from app.services.store_bridge import StoreBridge
from app.settings import AppSettings, load_settings
from app.store import AsyncStore
from app.ui.agent_list_model import AgentListModel
from app.ui.main_window import MainWindow

T = TypeVar("T")

WAIT_MS = 5000


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Aio:
    """Runs coroutines on the test's qasync loop while Qt processes events."""

    def __init__(self, loop: qasync.QEventLoop, qtbot) -> None:
        self.loop = loop
        self._qtbot = qtbot

    def run(self, awaitable: Awaitable[T], timeout: int = WAIT_MS) -> T:
        """Await ``awaitable`` (a coroutine or future) in a task; return its result."""
        task = self.loop.create_task(_await(awaitable))
        self._qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    def start(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        return self.loop.create_task(coro)

    def pending_tasks(self) -> set[asyncio.Task[Any]]:
        return {task for task in asyncio.all_tasks(self.loop) if not task.done()}


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshot tests save their PNGs: ``$AGENTDESK_SCREENSHOTS`` when
    set (scripts/screenshots.sh points it at docs/screenshots), else a temporary
    folder, so an ordinary test run leaves the tracked pictures alone."""
    target = os.environ.get("AGENTDESK_SCREENSHOTS")
    if not target:
        return tmp_path_factory.mktemp("screenshots")
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def qloop(qapp: QApplication, qtbot) -> Iterator[qasync.QEventLoop]:
    """A qasync event loop for this test, closed cleanly afterwards."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    # The loop's callbacks run on Qt events, which qtbot processes while it
    # waits; registering it as the running loop lets coroutines find it.
    asyncio._set_running_loop(loop)
    try:
        yield loop
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        qtbot.waitUntil(lambda: all(task.done() for task in leftovers), timeout=WAIT_MS)
        # Worker threads (asyncio.to_thread) still running post their completion
        # to the loop from their thread; let them finish and deliver that now,
        # while the loop is open — arriving after the timer below is deleted,
        # it would raise in a later test's event processing.
        executor = getattr(loop, "_QEventLoop__default_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)
            loop._QEventLoop__default_executor = None
            qapp.processEvents()
        asyncio._set_running_loop(None)
        loop.close()
        # qasync kills the Qt timer of a cancelled handle (an asyncio.timeout,
        # a call_later) only when it fires, so a closed loop can still own live
        # timers. Delete its timer object now, on the GUI thread: freed later by
        # the garbage collector on another thread (the store's worker), it would
        # leave a dangling timer that crashes a later test.
        shiboken6.delete(loop._timer)
        asyncio.set_event_loop(None)
        assert not leftovers, f"test left asyncio tasks running: {leftovers}"


@pytest.fixture
def aio(qloop: qasync.QEventLoop, qtbot) -> Aio:
    return Aio(qloop, qtbot)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "agentdesk.db"


@pytest.fixture
def async_store(aio: Aio, db_path: Path) -> Iterator[AsyncStore]:
    store = aio.run(AsyncStore.open(db_path))
    try:
        yield store
    finally:
        aio.run(store.close())


@pytest.fixture
def bridge(aio: Aio, async_store: AsyncStore) -> Iterator[StoreBridge]:
    created = StoreBridge(async_store)
    try:
        yield created
    finally:
        aio.run(created.shutdown())


@pytest.fixture
def model(bridge: StoreBridge, qtbot) -> AgentListModel:
    created = AgentListModel(bridge)
    with qtbot.waitSignal(created.sig_loaded, timeout=WAIT_MS):
        created.reload()
    return created


@pytest.fixture
def window(bridge: StoreBridge, model: AgentListModel, qtbot) -> MainWindow:
    created = MainWindow(bridge, model)
    qtbot.addWidget(created)
    created.show()
    qtbot.waitExposed(created)
    return created


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppSettings:
    for name in ("AGENTDESK_DEFAULT_PROVIDER", "AGENTDESK_DEFAULT_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return load_settings(tmp_path)


@pytest.fixture(autouse=True)
def _restore_appearance(qapp: QApplication) -> Iterator[None]:
    """Put the application's look back after each test: starting the app (run_app)
    or a theme test applies a style, palette, font and colour scheme to the one
    QApplication every later test shares."""
    from PySide6.QtGui import QFont, QGuiApplication, QPalette

    palette, font, style = QPalette(qapp.palette()), QFont(qapp.font()), qapp.style().name()
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else None
    yield
    if qapp.style().name() != style:
        qapp.setStyle(style)
    if scheme is not None and hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    qapp.setPalette(palette)
    qapp.setFont(font)


@pytest.fixture
def keyring_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """An in-memory keyring and no AGENTDESK_API_TOKEN: the token the local API
    accepts comes from the keyring, as on a desktop."""
    from app.core.secrets import API_TOKEN_ENV
    from tests.support.memory_keyring import MemoryKeyring, installed

    monkeypatch.delenv(API_TOKEN_ENV, raising=False)
    with installed(MemoryKeyring()) as backend:
        yield backend
