"""Helpers for the window's workflow tests: seed a cast of agents, open the
Workflows dialog from the menu, fill and run it, read the chat view."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from app.ui.dialogs.workflow_dialog import WorkflowDialog
from app.ui.main_window import MainWindow

WAIT_MS = 5000


def seed(db_path: Path, providers: list[ProviderConfig], agents: list[AgentSpec]) -> None:
    with Store(db_path) as store:
        for config in providers:
            store.providers.create(config)
        for agent in agents:
            store.agents.create(agent)


def open_dialog(qtbot, window: MainWindow) -> WorkflowDialog:
    """Agent › Workflows…, loaded."""
    window.actions.workflows.trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "workflowDialog") is not None,
                    timeout=WAIT_MS)
    dialog = window.findChild(QDialog, "workflowDialog")
    assert isinstance(dialog, WorkflowDialog)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def fill(dialog: WorkflowDialog, name: str, kind: str, agents: list[str], *,
         synthesis: str | None = None, depth: int | None = None) -> None:
    dialog.new_workflow()
    dialog.name_edit.setText(name)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(kind))
    dialog.set_checked_agents(agents)
    if synthesis is not None:
        dialog.synthesis_combo.setCurrentIndex(dialog.synthesis_combo.findData(synthesis))
    if depth is not None:
        dialog.depth_spin.setValue(depth)


def listed(dialog: WorkflowDialog) -> list[str]:
    return [dialog.workflow_list.item(i).text() for i in range(dialog.workflow_list.count())]


def run_from_dialog(qtbot, window: MainWindow, dialog: WorkflowDialog, question: str) -> int:
    """Type the question, Run; the id of the run's conversation once it started."""
    started: list[int] = []
    window.workflow_runs.sig_started.connect(started.append)
    dialog.question_edit.setText(question)
    dialog.run_button.click()
    qtbot.waitUntil(lambda: bool(started), timeout=WAIT_MS)
    return started[0]


def speakers(window: MainWindow) -> list[str]:
    """The header title of each message the chat view shows, in order."""
    view = window.chat_view
    return [view.message_widget(i).role_label.text() for i in view.message_ids()]
