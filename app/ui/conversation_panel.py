"""The selected agent's chats (``conversationList``) and what can be done to one:
rename, pin / unpin, archive / unarchive, delete (context menu and the Chat
menu), and export — of one chat or of several selected with Ctrl/Shift-click.
With "Show archived" on, the list holds the agent's archived chats.

Each operation is one op of app/ops/chats.py on the store's worker thread; the
list learns of it through the change notice like any other change.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit, QListView, QMenu, QWidget

from app.ui.contrast_style import pad_items
from app.domain import Conversation
from app.ops import chats
from app.services.store_bridge import StoreBridge
from app.ui.conversation_list_model import ConversationListModel, chat_label
from app.ui.elided_rows import elide_rows
from app.ui.prompts import confirm


class ConversationPanel(QListView):
    #: The current conversation changed (its id, or 0 when none is selected).
    sig_chosen = Signal(int)
    #: Export was chosen for these conversations (list[Conversation]).
    sig_export_requested = Signal(list)

    def __init__(self, bridge: StoreBridge, model: ConversationListModel, *,
                 before_delete: Callable[[int], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self._before_delete = before_delete
        self.setObjectName("conversationList")
        self.setAccessibleName("Chats")
        self.setModel(model)
        self.setUniformItemSizes(True)
        pad_items(self, 8, 5)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        elide_rows(self)       # long titles end in "…" (full title in the tooltip)
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.selectionModel().currentChanged.connect(self._current_changed)
        self._pending_select: int | None = None
        model.rowsInserted.connect(self._try_pending)
        model.modelReset.connect(self._try_pending)

    # -- selection ---------------------------------------------------------------------------
    def selected_conversations(self) -> list[Conversation]:
        """The selected chats in list order (the current one when none is selected)."""
        rows = sorted(i.row() for i in self.selectionModel().selectedRows())
        chosen = [self._model.index(r).data(ConversationListModel.ConversationRole)
                  for r in rows]
        current = self.current_conversation()
        if not chosen and current is not None:
            chosen = [current]
        return [c for c in chosen if c is not None]

    def current_conversation(self) -> Conversation | None:
        index = self.currentIndex()
        return index.data(ConversationListModel.ConversationRole) if index.isValid() else None

    def select(self, conversation_id: int | None) -> bool:
        """Make a conversation current (None clears); False if not listed (yet) —
        it is then selected as soon as it appears."""
        selection = self.selectionModel()
        if conversation_id is None:
            self._pending_select = None
            selection.clearCurrentIndex()
            selection.clearSelection()
            return True
        row = self._model.row_of(conversation_id)
        if row is None:
            self._pending_select = conversation_id
            return False
        self._pending_select = None
        index = self._model.index(row)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(index)
        return True

    def _try_pending(self, *_args: object) -> None:
        if self._pending_select is not None:
            self.select(self._pending_select)

    def _current_changed(self, *_args: object) -> None:
        conversation = self.current_conversation()
        self.sig_chosen.emit(conversation.id if conversation and conversation.id else 0)

    # -- operations ------------------------------------------------------------------------------
    def _menu(self, point: QPoint) -> None:
        index = self.indexAt(point)
        conversation = index.data(ConversationListModel.ConversationRole) \
            if index.isValid() else None
        if conversation is None:
            return
        menu = QMenu(self)
        menu.setObjectName("conversationMenu")
        selected = self.selected_conversations()
        targets = selected if conversation in selected else [conversation]
        menu.addAction("Export…" if len(targets) == 1 else f"Export {len(targets)} Chats…",
                       lambda: self.sig_export_requested.emit(targets))
        menu.addSeparator()
        menu.addAction("Rename…", lambda: self.rename(conversation))
        menu.addAction("Unpin" if conversation.pinned else "Pin",
                       lambda: self.set_pinned(conversation, not conversation.pinned))
        menu.addAction(archive_text(conversation),
                       lambda: self.set_archived(conversation, not conversation.archived))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete(conversation))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.viewport().mapToGlobal(point))

    def rename(self, conversation: Conversation) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("renameDialog")
        dialog.setWindowTitle("Rename Chat")
        dialog.setLabelText("Title:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setTextValue(conversation.title)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        conversation_id = conversation.id
        dialog.textValueSelected.connect(lambda title: self._bridge.spawn(
            self._bridge.run(partial(chats.rename, conversation_id=conversation_id,
                                     title=title)),
            name="rename-conversation"))
        dialog.open()

    def set_pinned(self, conversation: Conversation, pinned: bool) -> None:
        conversation_id = conversation.id
        self._bridge.spawn(self._bridge.run(
            partial(chats.set_pinned, conversation_id=conversation_id, pinned=pinned)),
            name="pin")

    def archive(self, conversation: Conversation) -> None:
        self.set_archived(conversation, True)

    def unarchive(self, conversation: Conversation) -> None:
        self.set_archived(conversation, False)

    def set_archived(self, conversation: Conversation, archived: bool) -> None:
        """Archive or unarchive: the chat leaves this list and joins the other."""
        conversation_id = conversation.id
        self._bridge.spawn(self._bridge.run(
            partial(chats.set_archived, conversation_id=conversation_id, archived=archived)),
            name="archive" if archived else "unarchive")

    def attach_archive_action(self, action: QAction) -> None:
        """The Chat menu's Archive action: archives or unarchives the current chat,
        and says which it will do."""
        def trigger() -> None:
            current = self.current_conversation()
            if current is not None:
                self.set_archived(current, not current.archived)

        def relabel(*_args: object) -> None:
            current = self.current_conversation()
            action.setText("&" + archive_text(current) + " Chat" if current else
                           "&Archive Chat")
            action.setEnabled(current is not None)

        action.triggered.connect(trigger)
        self.selectionModel().currentChanged.connect(relabel)
        for signal in (self._model.dataChanged, self._model.modelReset,
                       self._model.rowsRemoved, self._model.rowsInserted):
            signal.connect(relabel)
        relabel()

    def delete(self, conversation: Conversation) -> None:
        conversation_id = conversation.id
        assert conversation_id is not None

        def delete_now() -> None:
            self._before_delete(conversation_id)
            self._bridge.spawn(self._bridge.run(
                partial(chats.delete, conversation_id=conversation_id)),
                name="delete-conversation")

        confirm(self, "Delete chat",
                f"Delete “{chat_label(conversation)}” and all its messages?",
                delete_now, yes_text="Delete", informative="This cannot be undone.")


def archive_text(conversation: Conversation | None) -> str:
    return "Unarchive" if conversation is not None and conversation.archived else "Archive"
