"""The window's dialogs in one window lifetime, as a person uses them: New Agent,
Edit Agent and Settings each opened, closed and opened again (and used the
second time), and asking for a dialog that is already open raises it instead of
stacking a second one. The dialogs delete themselves on close; the window must
never touch one after that."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QDialog, QWidget
from dialog_helpers import set_name, visible_dialogs, wait_gone, wait_open
from window_support import WAIT_MS, add_messages, open_window

from app.domain import AgentSpec, Message, ProviderConfig
from app.settings import load_settings
from app.store import Store
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.message_edit_dialog import MessageEditDialog
from app.ui.open_dialogs import DialogRegistry, DialogSlot, alive


def seed(db_path, *names: str) -> list[AgentSpec]:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="local", kind="llamacpp",
                                              base_url="http://127.0.0.1:9/v1"))
        return [store.agents.create(AgentSpec(name=n, provider="local", model="m1"))
                for n in names]


def stored_names(db_path) -> list[str]:
    with Store(db_path) as store:
        return sorted(a.name for a in store.agents.list())


def test_new_agent_opens_again_after_closing_and_saves(aio, bridge, db_path, settings,
                                                       qtbot) -> None:
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)

    window.new_agent_button.click()
    first = wait_open(window, AgentDialog, qtbot)
    first.reject()
    wait_gone(first, qtbot)

    window.new_agent_button.click()                 # raised RuntimeError before
    second = wait_open(window, AgentDialog, qtbot)
    assert second is not first
    set_name(second, qtbot, "Writer")
    second.ok_button.click()
    wait_gone(second, qtbot)
    assert stored_names(db_path) == ["Helper", "Writer"]
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().name == "Writer", timeout=WAIT_MS)

    window.actions.new_agent.trigger()              # a third time, after a save
    third = wait_open(window, AgentDialog, qtbot)
    set_name(third, qtbot, "Reader")
    third.ok_button.click()
    wait_gone(third, qtbot)
    assert stored_names(db_path) == ["Helper", "Reader", "Writer"]


def test_edit_agent_opens_again_and_saves_each_time(aio, bridge, db_path, settings,
                                                    qtbot) -> None:
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)

    for new_name in ("Helper Two", "Helper Three"):
        window.actions.edit_agent.trigger()
        dialog = wait_open(window, AgentDialog, qtbot)
        assert dialog.form.name.text() == window.current_agent().name
        set_name(dialog, qtbot, new_name)
        dialog.ok_button.click()
        wait_gone(dialog, qtbot)
        assert stored_names(db_path) == [new_name]
        qtbot.waitUntil(lambda n=new_name: window.current_agent().name == n, timeout=WAIT_MS)


def test_settings_opens_again_and_saves(aio, bridge, db_path, settings, qtbot) -> None:
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)

    window.actions.settings.trigger()
    first = wait_open(window, SettingsDialog, qtbot)
    first.reject()
    wait_gone(first, qtbot)

    window.actions.settings.trigger()
    second = wait_open(window, SettingsDialog, qtbot)
    qtbot.waitUntil(lambda: not second.busy, timeout=WAIT_MS)
    wanted = settings.ui.font_size + 1
    second.appearance.font_size.setValue(wanted)
    second.ok_button.click()
    wait_gone(second, qtbot)
    assert window.settings.ui.font_size == wanted
    assert load_settings(settings.home).ui.font_size == wanted


def test_asking_for_an_open_dialog_raises_it_instead_of_a_second(aio, bridge, db_path,
                                                                 settings, qtbot) -> None:
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)
    window.actions.settings.trigger()
    dialog = wait_open(window, SettingsDialog, qtbot)
    window.open_settings()
    window.open_settings()
    assert visible_dialogs(window, SettingsDialog) == [dialog]
    assert window.dialogs.get("settings") is dialog
    dialog.reject()
    wait_gone(dialog, qtbot)
    assert window.dialogs.get("settings") is None and len(window.dialogs) == 0


def test_a_slot_forgets_a_deleted_widget(qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    slot: DialogSlot[QWidget] = DialogSlot()
    widget = slot.set(QWidget(host))
    assert slot.get() is widget
    shiboken6.delete(widget)
    assert slot.get() is None and slot.get_open() is None
    assert not alive(widget) and not alive(None)


def test_registry_never_touches_a_deleted_dialog(qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    registry = DialogRegistry()
    first = registry.open("kind", lambda: QDialog(host))
    assert registry.get("kind") is first
    assert registry.open("kind", lambda: QDialog(host)) is first    # raised, not a second
    first.close()                                   # WA_DeleteOnClose set by the registry
    wait_gone(first, qtbot)
    second = registry.open("kind", lambda: QDialog(host))
    assert second is not first and registry.get("kind") is second
    assert registry.open_dialogs() == [second]
    second.close()


def test_edit_and_resend_opens_again_and_never_twice(aio, bridge, db_path, settings,
                                                     qtbot) -> None:
    (agent,) = seed(db_path, "Helper")
    with Store(db_path) as store:
        chat = store.conversations.create(agent.id, "Earlier")
    question, _answer = add_messages(db_path, chat.id, [
        Message(conversation_id=chat.id, role="user", content="first question"),
        Message(conversation_id=chat.id, role="assistant", content="an answer")])
    window = open_window(qtbot, bridge, settings)
    window.open_conversation(agent.id, chat.id)
    qtbot.waitUntil(lambda: window.chat_view.message_widget(question.id) is not None,
                    timeout=WAIT_MS)
    controller = window.controller

    window.chat_view.sig_edit.emit(question.id)
    first = wait_open(window, MessageEditDialog, qtbot)
    assert controller.editor is first
    window.chat_view.sig_edit.emit(question.id)        # asked again: raised, not a second
    qtbot.waitUntil(lambda: not bridge.pending_tasks, timeout=WAIT_MS)
    assert visible_dialogs(window, MessageEditDialog) == [first]
    first.reject()
    wait_gone(first, qtbot)
    assert controller.editor is None

    window.chat_view.sig_edit.emit(question.id)
    second = wait_open(window, MessageEditDialog, qtbot)
    assert second is not first and controller.editor is second
    assert second.edit.toPlainText() == "first question"
    second.reject()


def test_edit_agent_opens_on_the_stored_agent_not_the_lists_copy(aio, bridge, db_path,
                                                                 settings, qtbot) -> None:
    """The list learns of a change a moment later (a save, the CLI): Edit Agent
    opened on the list's copy showed the old prompt, and OK saved it back."""
    seed(db_path, "Helper")
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    with Store(db_path) as store:               # another writer, as the CLI is
        spec = store.agents.list()[0]
        store.agents.update(spec.model_copy(update={"system_prompt": "Changed elsewhere."}))
    assert window.current_agent().system_prompt != "Changed elsewhere."   # not seen yet
    window.actions.edit_agent.trigger()
    dialog = wait_open(window, AgentDialog, qtbot)
    assert dialog.form.system_prompt.toPlainText() == "Changed elsewhere."
    dialog.ok_button.click()
    wait_gone(dialog, qtbot)
    with Store(db_path) as store:
        assert store.agents.list()[0].system_prompt == "Changed elsewhere."
