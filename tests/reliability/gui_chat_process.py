"""The real window in a process of its own, for the crash-consistency kills:
it opens the data folder as the app does, selects an agent, sends one message
through the composer's path and prints a JSON line per token the chat view is
given (and one naming the conversation), then waits to be killed.

    python tests/reliability/gui_chat_process.py AGENT_ID QUESTION   (AGENTDESK_HOME set)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(agent_id: int, question: str) -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    from app.domain import Done, Error, TextDelta
    from app.services.store_bridge import StoreBridge
    from app.settings import load_settings
    from app.store import AsyncStore
    from app.ui.agent_list_model import AgentListModel
    from app.ui.chat_controller import ChatController
    from app.ui.main_window import MainWindow

    shown = ChatController._on_event

    def print_tokens(self, conversation_id, event):  # noqa: ANN001
        if isinstance(event, TextDelta):
            print(json.dumps({"type": "token", "text": event.text}), flush=True)
        elif isinstance(event, Done | Error):
            print(json.dumps({"type": event.type}), flush=True)
        shown(self, conversation_id, event)

    ChatController._on_event = print_tokens      # before the window makes its sessions
    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    settings = load_settings()

    async def run() -> None:
        store = await AsyncStore.open(settings.database_path)
        bridge = StoreBridge(store)
        model = AgentListModel(bridge)
        window = MainWindow(bridge, model, settings=settings)
        window.controller.sig_conversation_created.connect(
            lambda c: print(json.dumps({"type": "conversation", "conversation_id": c.id}),
                            flush=True))
        window.show()
        model.reload()
        while not window.select_agent(agent_id):
            await asyncio.sleep(0.02)
        window.controller.send(question)
        await asyncio.sleep(600)                 # until killed

    loop.run_until_complete(run())


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
