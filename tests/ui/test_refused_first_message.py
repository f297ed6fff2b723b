"""A first message refused before anything is sent (a picture for a model
without vision, in a NEW chat) leaves no chat behind: the list stays empty,
the window shows a new chat of the same agent, and the composer keeps the
text and every attachment so the person can fix it and send again."""

from __future__ import annotations

from app.ops import chats
from app.store import Store
from tests.providers.ollama_server import OllamaServer
from tests.support.document_files import write_pdf
from tests.support.image_files import write_image
from window_support import WAIT_MS, choose_files, open_window, process, seed_ollama


def test_a_refused_first_message_leaves_no_chat_and_loses_nothing(
        qtbot, bridge, settings, db_path, tmp_path) -> None:
    picture = write_image(tmp_path / "chart.png", (64, 48))
    report = write_pdf(tmp_path / "report.pdf", ["Revenue grew 12 percent"])
    with OllamaServer() as ollama:
        (blind,) = seed_ollama(db_path, ollama.base_url, {"Blind": "llama3.2:latest"})
        window = open_window(qtbot, bridge, settings)
        composer = window.composer
        assert window.select_agent(blind.id)
        assert window.controller.conversation_id is None            # a new chat
        created: list[object] = []
        window.controller.sig_conversation_created.connect(created.append)

        choose_files(qtbot, composer, picture, report)
        composer.set_text("What does this show?")
        composer.submit()
        qtbot.waitUntil(lambda: composer.text() == "What does this show?", timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(composer.attachments.attachments) == 2, timeout=WAIT_MS)
        assert [a.name for a in composer.attachments.attachments] == ["chart.png",
                                                                      "report.pdf"]
        assert "cannot read images" in window.statusBar().currentMessage()
        assert ollama.chat_requests() == []
        # The chat that was started for it is gone, from the store and the list.
        assert len(created) == 1                  # it was started, then dropped
        qtbot.waitUntil(lambda: _stored_chats(db_path) == [], timeout=WAIT_MS)
        qtbot.waitUntil(lambda: window.conversation_model.conversations() == [],
                        timeout=WAIT_MS)
        process()
        assert window.controller.conversation_id is None
        assert window.controller.agent_id == blind.id
        assert window.chat_view.message_ids() == []

        # Fixed (the picture removed), the same message goes out in one new chat.
        composer.attachments.remove(0)
        composer.submit()
        qtbot.waitUntil(lambda: len(ollama.chat_requests()) == 1, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 2, timeout=WAIT_MS)
        qtbot.waitUntil(lambda: not window.controller.current_session().running,
                        timeout=WAIT_MS)
        user = ollama.chat_requests()[0]["messages"][-1]
        assert user["content"].startswith("What does this show?")
        assert '<document name="report.pdf">' in user["content"] and "images" not in user
        (conversation,) = _stored_chats(db_path)
        assert window.controller.conversation_id == conversation.id
        assert [c.id for c in window.conversation_model.conversations()] == [conversation.id]
        window.close()
    with Store(db_path) as store:
        assert chats.drop_if_empty(store, conversation.id) is False   # it holds the turn


def _stored_chats(db_path) -> list:
    with Store(db_path) as store:
        return store.conversations.list()
