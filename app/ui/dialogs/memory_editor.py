"""The agent editor's Memory tab: the facts an agent remembers about the user.

The user sees every fact the ``memory`` tool stored, and can add, change and
forget them. Each change is written at once through the store's serial worker
(not on the dialog's Save: a fact is the user's data, not an agent setting),
and the list redraws from the store's change notices — so a fact the agent
remembers in a running chat shows up here too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.contrast_style import pad_items
from app.core.tools.memory import MAX_FACT_CHARS
from app.domain.tools import Memory
from app.ops import memories as memory_ops
from app.ops.memories import fact_problem
from app.services.store_bridge import StoreBridge
from app.store import EXTERNAL, ChangeNotice, NotFoundError, StoreError
from app.ui import prompts
from app.ui.dialogs.widgets import FieldMessage

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]

NOTE = ("Facts this agent remembers about you across conversations. With the "
        "memory tool on, it reads them at the start of every chat and may add or "
        "forget facts itself. Changes here are saved at once.")
TOOL_OFF_NOTE = ("The memory tool is off for this agent (Tools tab): these facts are "
                 "kept but not used until it is turned on.")


class FactEdit(QLineEdit):
    """A line edit whose Enter adds or saves the fact, instead of also reaching
    the dialog (where it would press Save and close the editor)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class MemoryEditor(QWidget):
    #: The list was (re)loaded from the store (tests wait on this).
    sig_loaded = Signal()

    def __init__(self, bridge: StoreBridge, agent_id: int | None, spawn: Spawn,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memoryEditor")
        self._bridge = bridge
        self._agent_id = agent_id
        self._spawn = spawn
        self._memories: list[Memory] = []
        self._reloading = False
        self._reload_again = False
        self._build()
        self._update_buttons()
        if agent_id is not None:
            bridge.sig_changed.connect(self._on_notice)
            self.reload()

    # -- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.note = QLabel(NOTE)
        self.note.setObjectName("memoryNote")
        self.note.setWordWrap(True)
        self.tool_note = QLabel(TOOL_OFF_NOTE)
        self.tool_note.setObjectName("memoryToolNote")
        self.tool_note.setWordWrap(True)
        self.tool_note.hide()
        self.list = QListWidget()
        self.list.setObjectName("memoryList")
        self.list.setAccessibleName("Remembered facts")
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        pad_items(self.list, 6, 4)
        self.empty = QLabel("Nothing remembered yet.")
        self.empty.setObjectName("memoryEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.fact = FactEdit()
        self.fact.setObjectName("memoryFactEdit")
        self.fact.setAccessibleName("Fact")
        self.fact.setPlaceholderText("A short fact, e.g. “Prefers metric units”")
        self.fact.setMaxLength(MAX_FACT_CHARS * 2)   # longer is refused with a message
        self.fact_message = FieldMessage("memoryFactMessage")
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("memoryAddButton")
        self.change_button = QPushButton("Save change")
        self.change_button.setObjectName("memoryChangeButton")
        self.forget_button = QPushButton("Forget…")
        self.forget_button.setObjectName("memoryForgetButton")

        label = QLabel("&Fact:")
        label.setBuddy(self.fact)
        buttons = QHBoxLayout()
        buttons.addWidget(label)
        buttons.addWidget(self.fact, 1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.change_button)
        buttons.addWidget(self.forget_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.tool_note)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        layout.addWidget(self.fact_message)

        self.list.currentItemChanged.connect(self._selected)
        self.fact.textEdited.connect(self._edited)
        self.fact.returnPressed.connect(self._return_pressed)
        self.add_button.clicked.connect(self.add)
        self.change_button.clicked.connect(self.change)
        self.forget_button.clicked.connect(self._confirm_forget)

    # -- state ---------------------------------------------------------------------------
    def facts(self) -> list[str]:
        """The facts as listed, oldest first."""
        return [self.list.item(row).text() for row in range(self.list.count())]

    def select_fact(self, memory_id: int) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == memory_id:
                self.list.setCurrentRow(row)
                return
        raise KeyError(memory_id)

    def set_tool_enabled(self, enabled: bool) -> None:
        """Say so when the agent has facts but not the tool that reads them."""
        self.tool_note.setVisible(not enabled)

    def _selected_id(self) -> int | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _selected(self, current: QListWidgetItem | None, _previous: object = None) -> None:
        self.fact.setText(current.text() if current is not None else "")
        self.fact_message.show_problem(None)
        self._update_buttons()

    def _edited(self, _text: str) -> None:
        self.fact_message.show_problem(None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        saved = self._agent_id is not None
        selected = self._selected_id() is not None
        item = self.list.currentItem()
        self.add_button.setEnabled(saved)
        self.change_button.setEnabled(saved and selected and item is not None
                                      and self.fact.text() != item.text())
        self.forget_button.setEnabled(saved and selected)
        self.fact.setEnabled(saved)

    # -- loading -------------------------------------------------------------------------
    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity == EXTERNAL or (notice.entity == "memory"
                                         and notice.parent_id == self._agent_id):
            self.reload()     # another process may have changed the facts too

    def stop(self) -> None:
        """Stop following the store (the dialog closes)."""
        if self._agent_id is not None:
            self._bridge.sig_changed.disconnect(self._on_notice)
            self._agent_id = None
            self._update_buttons()

    def reload(self) -> None:
        """Read the facts again (one read at a time; a notice meanwhile reads again)."""
        if self._reloading:
            self._reload_again = True
            return
        self._reloading = True
        self._spawn(self._load(), "memories")

    async def _load(self) -> None:
        agent_id = self._agent_id
        try:
            while True:
                self._reload_again = False
                memories = await self._bridge.run(
                    partial(memory_ops.list_facts, agent_id=agent_id))
                if not self._reload_again:
                    break
        finally:
            self._reloading = False
        self._show(memories)

    def _show(self, memories: list[Memory]) -> None:
        keep = self._selected_id()
        typed = self.fact.text()
        self._memories = memories
        self.list.blockSignals(True)
        self.list.clear()
        for memory in memories:
            item = QListWidgetItem(memory.content)
            item.setData(Qt.ItemDataRole.UserRole, memory.id)
            changed = ("" if memory.updated_at == memory.created_at
                       else f", changed {memory.updated_at.astimezone():%Y-%m-%d}")
            item.setToolTip(f"Fact #{memory.id}: remembered "
                            f"{memory.created_at.astimezone():%Y-%m-%d %H:%M}{changed}")
            self.list.addItem(item)
            if memory.id == keep:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if keep is not None and self._selected_id() != keep:
            typed = ""                       # the fact being edited was forgotten
        self.fact.setText(typed)
        self.empty.setVisible(not memories)
        self._update_buttons()
        self.sig_loaded.emit()

    # -- changes -------------------------------------------------------------------------
    def _return_pressed(self) -> None:
        if self.change_button.isEnabled():
            self.change()
        else:
            self.add()

    def add(self) -> None:
        """Remember the typed text as a new fact."""
        text = self.fact.text()
        problem = fact_problem(text, self._memories)
        if self._refused(problem):
            return
        self._spawn(self._write(partial(memory_ops.add, agent_id=self._agent_id, text=text),
                                clear=True),
                    "memory-add")

    def change(self) -> None:
        """Replace the selected fact by the typed text."""
        memory_id = self._selected_id()
        if memory_id is None:
            return
        text = self.fact.text()
        if self._refused(fact_problem(text, self._memories, editing=memory_id)):
            return
        self._spawn(self._write(partial(memory_ops.edit, memory_id=memory_id, text=text)),
                    "memory-change")

    def _confirm_forget(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        memory_id = item.data(Qt.ItemDataRole.UserRole)
        box = prompts.confirm(self, "Forget fact", f"Forget “{item.text()}”?",
                              lambda: self.forget(memory_id), yes_text="Forget",
                              informative="The agent will no longer know this.")
        box.setObjectName("forgetFactMessage")

    def forget(self, memory_id: int) -> None:
        """Delete a fact (after the user confirmed)."""
        self._spawn(self._write(partial(memory_ops.forget, memory_id=memory_id), clear=True),
                    "memory-forget")

    def _refused(self, problem: str | None) -> bool:
        self.fact_message.show_problem(problem)
        if problem:
            self.fact.setFocus()
        return problem is not None

    async def _write(self, work: Callable[[Any], object], *, clear: bool = False) -> None:
        try:
            await self._bridge.run(work)
        except NotFoundError:
            self.fact_message.show_problem("That fact is gone (forgotten meanwhile).")
            self.reload()
            return
        except (StoreError, ValidationError) as exc:
            log.warning("memory change failed: %s", exc)
            self.fact_message.show_problem(f"Cannot save the fact: {exc}")
            return
        if clear:
            self.list.setCurrentRow(-1)
            self.fact.clear()
        # The store's change notice redraws the list.
