"""The chat view's message actions for the shown conversation (``ChatController``'s).

Regenerate / Retry answer the user message before a reply again (a new version
of the reply; the earlier ones are kept), Edit and Resend opens one editor at a
time and sends the edited text as a new version of the user message, Delete
asks first. None of them acts while the conversation's reply is running.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.ops import messages
from app.services.store_bridge import StoreBridge
from app.ui.message_edit_dialog import MessageEditDialog
from app.ui.open_dialogs import DialogSlot
from app.ui.prompts import confirm

if TYPE_CHECKING:
    from app.ui.chat_controller import ChatController


class MessageActions(QObject):
    def __init__(self, controller: ChatController, bridge: StoreBridge,
                 parent_widget: QWidget | None) -> None:
        """``parent_widget``: the dialogs' parent (the window), None for the view."""
        super().__init__(controller)
        self._controller = controller
        self._bridge = bridge
        self._parent = parent_widget
        self.view = controller.view
        self._editor: DialogSlot[MessageEditDialog] = DialogSlot()  # deletes itself on close
        self.view.sig_regenerate.connect(self._rerun_before)
        self.view.sig_retry.connect(self._rerun_before)
        self.view.sig_edit.connect(self._edit)
        self.view.sig_delete.connect(self._delete)

    def regenerate_last(self) -> None:
        """Regenerate the last reply shown (the Regenerate action)."""
        view = self.view
        replies = [i for i in view.message_ids() if (w := view.message_widget(i)) is not None
                   and w.role == "assistant"]
        if replies:
            view.sig_regenerate.emit(replies[-1])

    def _rerun_before(self, message_id: int) -> None:
        """Regenerate / Retry: answer the user message before ``message_id``
        again; the new reply is a new version, the earlier ones are kept."""
        controller = self._controller
        conversation_id, agent_id = controller.conversation_id, controller.agent_id
        if conversation_id is None or agent_id is None or controller.is_running(conversation_id):
            return
        self._bridge.spawn(self._rerun(conversation_id, agent_id, message_id), name="rerun")

    async def _rerun(self, conversation_id: int, agent_id: int, message_id: int) -> None:
        user = await self._bridge.run(partial(
            messages.previous_user_message, conversation_id=conversation_id,
            message_id=message_id))
        if user is None or user.id is None:
            return
        self._controller.session(conversation_id, agent_id).regenerate(user.id)

    def _edit(self, message_id: int) -> None:
        controller = self._controller
        conversation_id, agent_id = controller.conversation_id, controller.agent_id
        if conversation_id is None or agent_id is None or controller.is_running(conversation_id):
            return
        self._bridge.spawn(self._open_editor(conversation_id, agent_id, message_id),
                           name="edit-message")

    async def _open_editor(self, conversation_id: int, agent_id: int, message_id: int) -> None:
        target = await self._bridge.run(partial(
            messages.edit_target, conversation_id=conversation_id, message_id=message_id))
        if (open_editor := self.editor) is not None:   # one edit at a time: raise it
            open_editor.raise_()
            open_editor.activateWindow()
            return
        dialog = MessageEditDialog(target.message.content, target.later, self._parent)
        dialog.sig_resend.connect(lambda text: self._controller.session(
            conversation_id, agent_id).edit(message_id, text))
        dialog.open()
        self._editor.set(dialog)

    @property
    def editor(self) -> MessageEditDialog | None:
        """The open Edit and Resend dialog, if any (never a deleted one)."""
        return self._editor.get_open()

    def _delete(self, message_id: int) -> None:
        conversation_id = self._controller.conversation_id
        if conversation_id is None or self._controller.is_running(conversation_id):
            return
        confirm(self._parent or self.view, "Delete message",
                "Delete this message? This cannot be undone.",
                lambda: self._bridge.spawn(self._delete_now(message_id), name="delete-message"),
                yes_text="Delete")

    async def _delete_now(self, message_id: int) -> None:
        await self._bridge.run(partial(messages.delete, message_id=message_id))
        self._controller.reload()
