"""The versions of the shown conversation's turns in the chat view (``◀ 2/3 ▶``).

A regenerated reply or an edited user message is stored as a new version
beside the earlier ones (app/store/message_tree.py). After each load of the
view (and each finished reply) this reads which shown messages have other
versions and puts the switch on them; an arrow makes the store show that
version (and the newest branch below it) and the view is drawn again. While
a reply of the conversation runs, switching waits: the reply's next writes
follow the shown branch.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from app.ops import messages
from app.services.store_bridge import StoreBridge

if TYPE_CHECKING:
    from app.ui.chat_controller import ChatController

log = logging.getLogger(__name__)


class ChatVersions(QObject):
    def __init__(self, controller: ChatController, bridge: StoreBridge) -> None:
        super().__init__(controller)
        self._controller = controller
        self._bridge = bridge
        #: Switches done (tests wait on it).
        self.switches = 0
        #: Refreshes drawn (tests wait on it).
        self.refreshes = 0
        controller.view.sig_switch_version.connect(self.switch)
        controller.sig_shown.connect(lambda _conversation_id: self.refresh())

    def refresh(self) -> None:
        """Read the versions of the messages shown now and draw their switches."""
        controller = self._controller
        conversation_id = controller.conversation_id
        ids = controller.view.message_ids()
        if conversation_id is None or not ids:
            return
        generation = controller.generation
        self._bridge.spawn(self._refresh(conversation_id, ids, generation),
                           name="message-versions")

    async def _refresh(self, conversation_id: int, ids: list[int], generation: int) -> None:
        found = await self._bridge.run(
            partial(messages.versions_of, conversation_id=conversation_id, ids=ids))
        if (self._controller.conversation_id != conversation_id
                or self._controller.generation != generation):
            return                       # the view was drawn again meanwhile
        self._controller.view.set_versions(
            {message_id: (v.index, v.count) for message_id, v in found.items()})
        self.refreshes += 1

    def switch(self, message_id: int, step: int) -> None:
        """Show the previous (-1) or next (+1) version of ``message_id``."""
        conversation_id = self._controller.conversation_id
        if conversation_id is None or self._controller.is_running(conversation_id):
            return
        self._bridge.spawn(self._switch(conversation_id, message_id, step),
                           name="switch-version")

    async def _switch(self, conversation_id: int, message_id: int, step: int) -> None:
        shown = await self._bridge.run(
            partial(messages.switch_version, message_id=message_id, step=step))
        if shown is None:
            log.info("message %s has no version %+d away", message_id, step)
            return
        self.switches += 1
        if self._controller.conversation_id == conversation_id:
            self._controller.reload()
