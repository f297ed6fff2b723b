"""Helpers for the main-window tests (imported as a plain module)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from app.domain import AgentSpec, Message, ProviderConfig
from app.services.store_bridge import StoreBridge
from app.settings import AppSettings
from app.store import Store
from app.ui.agent_list_model import AgentListModel
from app.ui.application import run_app
from app.ui.main_window import MainWindow

WAIT_MS = 5000
REPLY_MS = 60_000     # a real model on 2 shared cores
SEEN_MS = 2000        # a write by another process "reflected within 2 s" (issue 13)
ROOT = Path(__file__).resolve().parents[2]


def seed_llama(db_path: Path, base_url: str, *, model: str = "gemma3", name: str = "Gemma",
               max_tokens: int = 24, provider: str = "llama") -> AgentSpec:
    """A llama.cpp provider and one agent on it (small replies)."""
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name=provider, kind="llamacpp",
                                              base_url=base_url, is_local=True))
        return store.agents.create(AgentSpec(name=name, provider=provider, model=model,
                                             max_tokens=max_tokens, temperature=0.2))


def seed_ollama(db_path: Path, base_url: str, agents: dict[str, str], *,
                provider: str = "ol") -> list[AgentSpec]:
    """An Ollama provider (the in-test server at ``base_url``) and one agent
    per name -> model."""
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name=provider, kind="ollama", base_url=base_url))
        return [store.agents.create(AgentSpec(name=name, provider=provider, model=model))
                for name, model in agents.items()]


def add_messages(db_path: Path, conversation_id: int, messages: list[Message]) -> list[Message]:
    with Store(db_path) as store:
        return [store.messages.add(m.model_copy(update={"id": None,
                                                        "conversation_id": conversation_id}))
                for m in messages]


def open_window(qtbot, bridge: StoreBridge, settings: AppSettings, **kwargs) -> MainWindow:
    """A real MainWindow over a freshly loaded agent list, shown."""
    model = AgentListModel(bridge)
    window = MainWindow(bridge, model, settings=settings, **kwargs)
    model.setParent(window)
    qtbot.addWidget(window)
    with qtbot.waitSignal(model.sig_loaded, timeout=WAIT_MS):
        model.reload()
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)   # shortcuts need it
    return window


def find(window: MainWindow, name: str) -> QWidget | None:
    found = window.findChild(QWidget, name)
    return found if found is not None and found.isVisible() else None


def send(window: MainWindow, text: str) -> None:
    window.composer.set_text(text)
    window.composer.submit()


def process(turns: int = 5) -> None:
    for _ in range(turns):
        QApplication.processEvents()


def start_app(aio, qapp, qtbot, settings: AppSettings):
    """The real application (``run_app``) started on the event loop; (task, its window)."""
    shown: list[MainWindow] = []
    task = aio.start(run_app(settings, qapp, on_shown=shown.append))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    return task, shown[0]


def stop_app(qtbot, task, window: MainWindow) -> None:
    """Close the window of ``start_app``; the application returns 0."""
    window.close()
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    assert task.result() == 0


def agentdesk(home: Path, *args: str) -> str:
    """Run the real CLI as its own process; returns its stdout."""
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    env.pop("AGENTDESK_LOGGING__LEVEL", None)
    proc = subprocess.run([sys.executable, "-m", "app", "--home", str(home), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def agent_names(window: MainWindow) -> list[str]:
    """The agents the window lists, in list order."""
    return [a.name for a in window.agent_list.model().agents()]


def chat_titles(window: MainWindow) -> list[str]:
    """The titles of the chats the window lists, sorted."""
    return sorted(c.title for c in window.conversation_model.conversations())


def choose_files(qtbot, composer, *paths) -> None:
    """Attach button → the file picker → these files chosen."""
    from PySide6.QtWidgets import QFileDialog

    composer.attach_button.click()
    qtbot.waitUntil(lambda: composer.window().findChild(QFileDialog, "attachDialog")
                    is not None, timeout=5000)
    picker = composer.window().findChild(QFileDialog, "attachDialog")
    picker.filesSelected.emit([str(p) for p in paths])
    picker.reject()
