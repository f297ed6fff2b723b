"""Following writes made elsewhere into the shown chat (the CLI, a second process).

The store reports them as an ``external`` notice (``AsyncStore.watch_external``):
which rows changed is not known. The ShownChatFollower of a ChatController then
reads the shown conversation once and compares it with what the view was
drawn from (``ChatController.shown_stamp``, read in the same worker call as
the messages):

- gone (deleted elsewhere): the controller says so and shows a new chat of the
  same agent; the composer keeps what the user typed;
- changed (messages written, deleted or edited elsewhere): the chat is drawn
  again — unless a reply of this window streams in it right now (its own
  writes; the view is live) or a load is under way.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.domain import Conversation
from app.ops import chats
from app.services.chat_session import MessageNotSent
from app.services.store_bridge import StoreBridge
from app.store import EXTERNAL, ChangeNotice

if TYPE_CHECKING:
    from app.ui.chat_controller import ChatController

#: Shown when the open chat was deleted by another program.
CHAT_GONE_TEXT = ("This chat was deleted elsewhere; your message is kept — "
                  "send it to start a new chat.")
#: Shown when a message could not be sent because its chat was deleted meanwhile.
NOT_SENT_TEXT = {
    "conversation": CHAT_GONE_TEXT,
    "agent": "This chat's agent was deleted elsewhere; your message is kept.",
}

#: The conversation as stored now, None once deleted (``app.ops.chats.stamp``).
Stamp = Conversation | None


class ShownChatFollower(QObject):
    """Keeps a ChatController's shown conversation in step with external writes."""

    def __init__(self, controller: ChatController, bridge: StoreBridge) -> None:
        super().__init__(controller)
        self._controller = controller
        self._bridge = bridge
        self._again = False         # a check met a load: check once more after it
        self._unsent: dict[int, str] = {}   # conversation -> text sent, not yet recorded
        self._new: set[int] = set()         # chats started for their unsent first message
        self.checks = 0             # external checks completed (tests wait on it)
        bridge.sig_changed.connect(self._on_notice)
        controller.sig_running.connect(self._turn_changed)
        controller.sig_shown.connect(self._shown)

    def _on_notice(self, notice: ChangeNotice) -> None:
        if notice.entity == EXTERNAL and self._controller.conversation_id is not None:
            self._bridge.spawn(self._check(), name="follow-shown-chat")

    def _shown(self, conversation_id: int) -> None:
        if self._again and conversation_id:
            self._again = False
            self._bridge.spawn(self._check(), name="follow-shown-chat")

    def _turn_changed(self, conversation_id: int, running: bool) -> None:
        # A turn of this window ended in the shown chat: its writes are drawn
        # already, so take them into the stamp (no redraw at the next notice).
        controller = self._controller
        if not running and conversation_id == controller.conversation_id:
            self._bridge.spawn(self._restamp(conversation_id, controller.generation),
                               name="restamp-shown-chat")

    async def _restamp(self, conversation_id: int, generation: int) -> None:
        stamp = await self._bridge.run(partial(chats.stamp, conversation_id=conversation_id))
        if generation == self._controller.generation and stamp is not None:
            self._controller.shown_stamp = stamp

    async def _check(self) -> None:
        controller = self._controller
        conversation_id, generation = controller.conversation_id, controller.generation
        if conversation_id is None:
            return
        stamp = await self._bridge.run(partial(chats.stamp, conversation_id=conversation_id))
        self.checks += 1
        if generation != controller.generation or controller.loading:
            # Another chat shown, or this one being drawn anew: its load may
            # have read before the external write, so look again after it.
            self._again = True
            return
        if stamp is None:
            self.conversation_gone(conversation_id)
        elif stamp != controller.shown_stamp and not controller.is_running(conversation_id):
            controller.reload()

    # -- the shown chat deleted; a message that could not be sent -----------------------
    def conversation_gone(self, conversation_id: int) -> None:
        """Deleted elsewhere: drop its session, show a new chat of the same agent
        (the composer keeps its text) and say so."""
        controller = self._controller
        controller.sessions.pop(conversation_id, None)
        if conversation_id == controller.conversation_id:
            controller.show_conversation(None, controller.agent_id)
        controller.sig_conversation_gone.emit(conversation_id, CHAT_GONE_TEXT)

    def sending(self, conversation_id: int, text: str, *, new: bool = False) -> None:
        """This window sent ``text``; kept until the session says it was recorded.
        ``new``: the chat was started for this message (dropped if it is refused)."""
        self._unsent[conversation_id] = text
        if new:
            self._new.add(conversation_id)

    def settled(self, conversation_id: int, event: object) -> None:
        """The session recorded the message (UserMessageRecorded) or could not
        (MessageNotSent): then its text goes back to the composer it came from."""
        text = self._unsent.pop(conversation_id, None)
        new = conversation_id in self._new
        self._new.discard(conversation_id)
        if not isinstance(event, MessageNotSent):
            return
        ours = text is not None and text == event.text   # else: another window's
        if event.what == "conversation":
            if ours:
                self._restore(event.text)
            if ours or conversation_id == self._controller.conversation_id:
                self.conversation_gone(conversation_id)
        elif ours:
            if new and event.what == "unsupported":
                self._drop_new_chat(conversation_id)
            self._controller.composer.attachments.put_back(list(event.attachments))
            self.give_back(event.text, event.what, event.reason,
                           conversation_id if new and event.what == "unsupported" else 0)

    def _drop_new_chat(self, conversation_id: int) -> None:
        """A chat started for a first message that was then refused before
        anything was written or sent: it goes (it holds nothing), and the
        window shows a new chat of the same agent again."""
        controller = self._controller
        controller.sessions.pop(conversation_id, None)
        if conversation_id == controller.conversation_id:
            controller.show_conversation(None, controller.agent_id)
        self._bridge.spawn(self._drop(conversation_id), name="drop-refused-chat")

    async def _drop(self, conversation_id: int) -> None:
        await self._bridge.run(partial(chats.drop_if_empty, conversation_id=conversation_id))

    def give_back(self, text: str, what: str, reason: str = "", gone: int = 0) -> None:
        """Put a message that was not sent back into the composer and say why
        (``gone``: the chat that was dropped for it, else 0)."""
        self._restore(text)
        self._controller.sig_conversation_gone.emit(
            gone, reason or NOT_SENT_TEXT.get(what, CHAT_GONE_TEXT))

    def _restore(self, text: str) -> None:
        # Before whatever was typed since, so nothing of either is lost.
        composer = self._controller.composer
        typed = composer.text()
        composer.set_text(text if not typed.strip() else f"{text}\n{typed}")
