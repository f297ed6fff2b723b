"""Duplicate and Delete for agents in the window: the Agent menu's actions and
the agent list's context menu (Edit, Duplicate, Delete…, Export).

The work itself is app/ops/agents.py, run on the store's worker: a copy
"<name> (copy)" with the same settings and no chats, which is then selected;
a deletion asked first with a question that names what is lost, counted from
the store ("Delete agent 'X' and its 12 chats (340 messages)? …"). The list
learns of both through the change notices like any other write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QListView, QMenu, QMessageBox, QWidget

from app.domain import AgentSpec
from app.ops import agents
from app.ops.agents import AgentFootprint
from app.services.store_bridge import StoreBridge
from app.ui.agent_list_model import AgentListModel
from app.ui.prompts import confirm

log = logging.getLogger(__name__)


class AgentActions(QObject):
    #: A copy was made (its AgentSpec).
    sig_duplicated = Signal(object)
    #: An agent was deleted (what was lost: an AgentFootprint).
    sig_deleted = Signal(object)

    def __init__(self, bridge: StoreBridge, agent_list: QListView, *,
                 duplicate: QAction, delete: QAction, menu_actions: list[QAction | None],
                 reveal: Callable[[AgentSpec], None],
                 before_delete: Callable[[int], None],
                 parent: QWidget) -> None:
        """``menu_actions``: the context menu's entries (None: a separator);
        ``before_delete(agent_id)`` stops the agent's running replies."""
        super().__init__(parent)
        self._bridge = bridge
        self._list = agent_list
        self._parent = parent
        self._menu_actions = menu_actions
        self._reveal = reveal
        self._before_delete = before_delete
        self.duplicate_action = duplicate
        self.delete_action = delete
        #: The open confirmation, if any (tests and screen readers read its text).
        self.question: QMessageBox | None = None
        duplicate.triggered.connect(lambda: self.duplicate(self.current()))
        delete.triggered.connect(lambda: self.delete(self.current()))
        agent_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        agent_list.customContextMenuRequested.connect(self._menu)
        agent_list.selectionModel().currentChanged.connect(self._update)
        self._update()

    def current(self) -> AgentSpec | None:
        index = self._list.currentIndex()
        return index.data(AgentListModel.AgentRole) if index.isValid() else None

    def _update(self, *_args: object) -> None:
        has_agent = self.current() is not None
        self.duplicate_action.setEnabled(has_agent)
        self.delete_action.setEnabled(has_agent)

    def _menu(self, point: QPoint) -> None:
        """Right-click on an agent: it becomes the current one, then the menu."""
        index = self._list.indexAt(point)
        if not index.isValid():
            return
        self._list.setCurrentIndex(index)
        menu = QMenu(self._list)
        menu.setObjectName("agentMenu")
        for action in self._menu_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self._list.viewport().mapToGlobal(point))

    # -- duplicate -------------------------------------------------------------------
    def duplicate(self, spec: AgentSpec | None) -> None:
        if spec is None or spec.id is None:
            return
        agent_id = spec.id

        async def run() -> None:
            copy = await self._bridge.run(partial(agents.duplicate, agent_id=agent_id))
            log.info("agent %s duplicated as %s", agent_id, copy.id)
            self._reveal(copy)
            self.sig_duplicated.emit(copy)

        self._bridge.spawn(run(), name="duplicate-agent")

    # -- delete ----------------------------------------------------------------------
    def delete(self, spec: AgentSpec | None) -> None:
        """Count what the agent owns, then ask with exactly that."""
        if spec is None or spec.id is None:
            return
        agent_id = spec.id

        async def ask() -> None:
            footprint = await self._bridge.run(partial(agents.footprint, agent_id=agent_id))
            self.question = confirm(self._parent, "Delete agent",
                                    agents.deletion_question(footprint),
                                    lambda: self._delete_now(footprint), yes_text="Delete")
            self.question.setTextFormat(Qt.TextFormat.PlainText)   # a name is not markup
            self.question.finished.connect(self._question_closed)

        self._bridge.spawn(ask(), name="count-agent")

    def _question_closed(self, _result: int) -> None:
        self.question = None      # it deletes itself on close

    def _delete_now(self, footprint: AgentFootprint) -> None:
        self._before_delete(footprint.agent_id)

        async def run() -> None:
            gone = await self._bridge.run(partial(agents.delete, agent_id=footprint.agent_id))
            log.info("agent %s deleted with %d chats (%d messages)", gone.agent_id,
                     gone.chats, gone.messages)
            self.sig_deleted.emit(gone)

        self._bridge.spawn(run(), name="delete-agent")


def forget_agent_chats(controller, agent_id: int) -> None:  # noqa: ANN001 (ChatController)
    """Stop and drop the sessions of ``agent_id``'s chats before it is deleted."""
    for conversation_id, session in list(controller.sessions.items()):
        if session.agent_id == agent_id:
            controller.forget(conversation_id)
