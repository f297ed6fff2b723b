"""Workflows in the window (scripted providers): the dialog creates, edits and
runs a workflow; the run streams into the chat view under each step's agent;
Stop cancels every running step; one window lifetime with the dialog opened
twice, both themes, and a workflow the CLI writes meanwhile."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from app.domain import TextDelta, Usage
from app.store import Store
from app.ui.theme import theme_manager
from tests.support.scripted_providers import answer, source
from tests.support.workflow_helpers import Cast
from tests.ui.window_support import agentdesk, open_window
from tests.ui.workflow_support import fill, listed, open_dialog, run_from_dialog, seed, speakers

WAIT_MS = 5000


def chain_cast() -> Cast:
    cast = Cast()
    usage = Usage(prompt_tokens=5, completion_tokens=3, ttft_ms=12.0, tokens_per_s=40.0)
    cast.add("Drafter", answer("a draft", usage=usage))
    cast.add("Critic", answer("a critique", usage=usage))
    return cast


def window_for(qtbot, bridge, settings, db_path, cast: Cast):
    seed(db_path, [p.config for p in cast.providers.values()], cast.agents)
    window = open_window(qtbot, bridge, settings)
    window.workflow_runs.providers = source(cast.providers)
    return window


def test_create_in_the_dialog_and_run_into_the_chat_view(aio, qtbot, bridge, settings,
                                                         db_path):
    cast = chain_cast()
    window = window_for(qtbot, bridge, settings, db_path, cast)
    dialog = open_dialog(qtbot, window)
    fill(dialog, "Review", "chain", ["Drafter", "Critic"])
    aio.run(dialog.save())
    assert listed(dialog) == ["Review  (chain)"]
    finished: list = []
    window.workflow_runs.sig_finished.connect(lambda cid, end: finished.append(end))
    conversation_id = run_from_dialog(qtbot, window, dialog, "Write a poem")
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert finished[0].status == "complete" and finished[0].answer == "a critique"
    assert window.controller.conversation_id == conversation_id
    qtbot.waitUntil(lambda: len(window.chat_view.message_ids()) == 3, timeout=WAIT_MS)
    assert speakers(window) == ["You", "Drafter · step 1", "Critic · step 2"]
    footers = [window.chat_view.message_widget(i).footer.text()
               for i in window.chat_view.message_ids()[1:]]
    assert all("3 tokens" in text and "40.0 tok/s" in text for text in footers)
    badge = window.chat_view.message_widget(window.chat_view.message_ids()[1]).model_badge
    assert "model-drafter" in badge.text()
    assert cast.order() == ["Drafter", "Critic"]
    assert not window.composer.stop_button.isEnabled()
    step = window.chat_view.message_widget(window.chat_view.message_ids()[2])
    assert step.regenerate_button.isHidden()      # it would answer as the chat's agent


def test_stop_in_the_composer_cancels_every_running_step(aio, qtbot, bridge, settings, db_path):
    both = asyncio.Barrier(3)

    async def meet(request):
        await both.wait()

    cast = Cast()
    cast.add("Alpha", [TextDelta(text="alpha so far"), meet, 30.0, *answer("never")])
    cast.add("Beta", [TextDelta(text="beta so far"), meet, 30.0, *answer("never")])
    cast.add("Judge", answer("never"))
    window = window_for(qtbot, bridge, settings, db_path, cast)
    dialog = open_dialog(qtbot, window)
    fill(dialog, "Panel", "parallel", ["Alpha", "Beta"], synthesis="Judge")
    finished: list = []
    window.workflow_runs.sig_finished.connect(lambda cid, end: finished.append(cid))
    conversation_id = run_from_dialog(qtbot, window, dialog, "q")
    third = aio.start(both.wait())
    qtbot.waitUntil(third.done, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: speakers(window)[1:] in (["Alpha · step 1", "Beta · step 2"],
                                                    ["Beta · step 1", "Alpha · step 2"]),
                    timeout=WAIT_MS)
    assert window.composer.stop_button.isEnabled() and window.actions.stop.isEnabled()
    window.composer.stop_button.click()
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    with Store(db_path) as store:
        replies = [m for m in store.messages.all(conversation_id) if m.role == "assistant"]
    assert sorted((m.content, m.status) for m in replies) == [
        ("alpha so far", "cancelled"), ("beta so far", "cancelled")]
    assert "Judge" not in cast.order()
    assert not window.composer.stop_button.isEnabled()


def test_a_refused_run_says_why_and_names_the_agents(aio, qtbot, bridge, settings, db_path):
    cast = Cast()
    cast.add("Private", answer("x"), local_only=True)
    cast.add("Public", answer("y"), local=False)
    window = window_for(qtbot, bridge, settings, db_path, cast)
    dialog = open_dialog(qtbot, window)
    fill(dialog, "Leak", "chain", ["Private", "Public"])
    dialog.question_edit.setText("secret")
    dialog.run_button.click()

    def warning() -> QMessageBox | None:
        return window.findChild(QMessageBox, "warningMessage")

    qtbot.waitUntil(lambda: warning() is not None, timeout=WAIT_MS)
    box = warning()
    assert box.windowTitle() == "Workflow not run"
    assert box.textFormat() == Qt.TextFormat.PlainText
    assert "local-only agent 'Private'" in box.text() and "'Public'" in box.text()
    box.close()
    assert cast.log == []
    with Store(db_path) as store:
        assert store.conversations.list() == []


def test_one_window_lifetime_with_workflows(aio, qtbot, bridge, settings, db_path):
    """Open the dialog, create, close; the CLI adds a workflow while the window
    is open; reopen: both listed; dark theme, run, light theme, run again; the
    runs are chats of the first agent, drawn from the store when reopened."""
    cast = chain_cast()
    cast.providers["p-drafter"].rounds = [answer("draft one"), answer("draft two")]
    window = window_for(qtbot, bridge, settings, db_path, cast)
    theme_manager().apply(settings.ui.theme, settings.ui.font_size)
    dialog = open_dialog(qtbot, window)
    fill(dialog, "Review", "chain", ["Drafter", "Critic"])
    aio.run(dialog.save())
    dialog.close()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "workflowDialog") is None,
                    timeout=WAIT_MS)
    home = db_path.parent
    agentdesk(home, "workflows", "create", "--name", "Backwards", "--kind", "chain",
              "--agent", "Critic", "--agent", "Drafter")
    dialog = open_dialog(qtbot, window)
    qtbot.waitUntil(lambda: listed(dialog) == ["Backwards  (chain)", "Review  (chain)"],
                    timeout=WAIT_MS)
    # The CLI's next change shows in the open dialog.
    agentdesk(home, "workflows", "create", "--name", "Again", "--kind", "chain",
              "--agent", "Critic", "--agent", "Drafter")
    qtbot.waitUntil(lambda: "Again  (chain)" in listed(dialog), timeout=WAIT_MS)
    theme_manager().apply("dark", settings.ui.font_size)
    dialog.workflow_list.setCurrentRow(listed(dialog).index("Review  (chain)"))
    finished: list = []
    window.workflow_runs.sig_finished.connect(lambda cid, end: finished.append(cid))
    first = run_from_dialog(qtbot, window, dialog, "first question")
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=WAIT_MS)
    theme_manager().apply("light", settings.ui.font_size)
    dialog = open_dialog(qtbot, window)
    dialog.workflow_list.setCurrentRow(listed(dialog).index("Review  (chain)"))
    second = run_from_dialog(qtbot, window, dialog, "second question")
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=WAIT_MS)
    assert first != second
    titles = sorted(c.title for c in window.conversation_model.conversations())
    qtbot.waitUntil(lambda: len(window.conversation_model.conversations()) == 2,
                    timeout=WAIT_MS)
    titles = sorted(c.title for c in window.conversation_model.conversations())
    assert titles == ["Review: first question", "Review: second question"]
    window.controller.show_conversation(first, window.controller.agent_id)
    qtbot.waitUntil(lambda: window.controller.conversation_id == first
                    and not window.controller.loading, timeout=WAIT_MS)
    assert speakers(window) == ["You", "Drafter · step 1", "Critic · step 2"]
    texts = [window.chat_view.message_widget(i).plain_text()
             for i in window.chat_view.message_ids()]
    assert texts[1].strip() == "draft one"
