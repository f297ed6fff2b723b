"""ChatNavigation: which chat the main window shows, and keeping it so.

One place holds the wanted conversation and moves the controller, the chat
list's selection and the remembered state (window_state.py) together: when
an agent is chosen (its last chat), a chat is picked, created, opened from
a search hit, the tray or a quick chat, or is deleted or archived elsewhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain import Conversation, SearchHit

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class ChatNavigation:
    def __init__(self, window: MainWindow) -> None:
        self._window = window
        self._wanted: int | None = None
        self._opening: SearchHit | None = None

    def show(self, agent_id: int | None, conversation_id: int | None, *,
             at_message: int | None = None) -> None:
        """Show ``conversation_id`` of ``agent_id`` (None: a new chat) and remember it."""
        w = self._window
        self._wanted = conversation_id
        w.controller.show_conversation(conversation_id, agent_id, at_message=at_message)
        w.conversation_list.select(conversation_id)
        w.state.remember(agent_id, conversation_id)

    def agent_shown(self, agent_id: int | None) -> None:
        """The current agent changed: its chats, and the one to show (the search
        hit being opened, else the agent's last chat)."""
        w = self._window
        if agent_id == w.conversation_model.agent_id and agent_id is not None:
            return
        w.conversation_model.set_agent(agent_id)
        opening = self._opening if self._opening and self._opening.agent_id == agent_id \
            else None
        self._opening = None
        target = opening.conversation_id if opening else (
            w.state.last_conversation(agent_id) if agent_id is not None else None)
        self.show(agent_id, target, at_message=opening.message_id if opening else None)

    def conversations_loaded(self) -> None:
        w = self._window
        wanted = self._wanted
        if wanted is not None and w.conversation_model.row_of(wanted) is None:
            self._wanted = None     # deleted or archived since last time
            w.controller.show_conversation(None, w.conversation_model.agent_id)

    def chosen(self, conversation_id: int) -> None:
        """A chat picked in the list."""
        if not conversation_id:
            return
        w = self._window
        agent_id = w.conversation_model.agent_id
        self._wanted = conversation_id
        w.controller.show_conversation(conversation_id, agent_id)
        w.state.remember(agent_id, conversation_id)

    def created(self, conversation: Conversation) -> None:
        w = self._window
        if conversation.agent_id == w.conversation_model.agent_id:
            self._wanted = conversation.id
            w.conversation_list.select(conversation.id)
            w.state.remember(conversation.agent_id, conversation.id)

    def gone(self, conversation_id: int) -> None:
        """Deleted elsewhere (or its message not sent): a new chat shows."""
        w = self._window
        if conversation_id and conversation_id == self._wanted:
            self._wanted = None
            w.conversation_list.select(None)
            w.state.remember(w.conversation_model.agent_id, None)

    def removed_elsewhere(self, ids: list[int]) -> None:
        # Let go of the shown chat's row before it goes (no jump to a neighbour);
        # the controller finds out whether it was deleted and says so.
        if self._window.controller.conversation_id in ids:
            self._window.conversation_list.select(None)

    def open_hit(self, hit: SearchHit) -> bool:
        """Show the hit's agent and conversation, scrolled to the message; False
        when its agent no longer exists."""
        w = self._window
        if w.conversation_model.agent_id == hit.agent_id:
            self.show(hit.agent_id, hit.conversation_id, at_message=hit.message_id)
            return True
        self._opening = hit
        if not w.select_agent(hit.agent_id):
            self._opening = None
            return False
        return True
