"""The agent editor's history: earlier revisions listed with what changed, and
one restored after confirmation."""

from __future__ import annotations

from dialog_helpers import WAIT_MS, click_box_button, host, message_box

from app.domain import AgentSpec
from app.ui.dialogs.agent_dialog import AgentDialog

__all__ = ["host"]


def test_revisions_are_listed_and_one_is_restored(aio, async_store, bridge, host,
                                                  qtbot) -> None:
    def write(s):
        first = s.agents.create(AgentSpec(name="Writer", model="m1", temperature=0.2))
        second = s.agents.update(first.model_copy(update={"temperature": 0.9}))
        return s.agents.update(second.model_copy(update={"model": "m2",
                                                         "system_prompt": "Be bold."}))

    current = aio.run(async_store.run(write))
    assert current.revision == 3

    dialog = AgentDialog(bridge, current, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
    history = dialog.history
    assert dialog.tabs.indexOf(history) >= 0
    assert history.revisions() == [3, 2, 1]
    texts = [history.list.item(row).text() for row in range(history.list.count())]
    assert "(current)" in texts[0] and "changed: system prompt, model" in texts[0]
    assert "changed: temperature" in texts[1]
    assert "created" in texts[2]

    history.select_revision(3)
    assert not history.restore_button.isEnabled()  # the current one is what you have
    history.select_revision(1)
    assert history.restore_button.isEnabled()
    history.restore_button.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    assert "revision 1" in box.text()
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        click_box_button(box, "Restore")
    restored = saved.args[0]
    assert (restored.revision, restored.model, restored.temperature) == (4, "m1", 0.2)
    assert restored.system_prompt == ""

    stored = aio.run(async_store.run(lambda s: s.agents.get(current.id)))
    assert (stored.revision, stored.model, stored.temperature) == (4, "m1", 0.2)
    qtbot.waitUntil(lambda: history.revisions() == [4, 3, 2, 1], timeout=WAIT_MS)
    assert dialog.form.model.model_id() == "m1"  # the form shows the restored agent
    assert dialog.form.temperature.value() == 0.2


def test_cancelling_the_confirmation_restores_nothing(aio, async_store, bridge, host,
                                                      qtbot) -> None:
    def write(s):
        first = s.agents.create(AgentSpec(name="Keeper", model="m1"))
        return s.agents.update(first.model_copy(update={"model": "m2"}))

    current = aio.run(async_store.run(write))
    dialog = AgentDialog(bridge, current, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
    dialog.history.select_revision(1)
    dialog.history.restore_button.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    click_box_button(box, "Cancel")
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    stored = aio.run(async_store.run(lambda s: s.agents.get(current.id)))
    assert (stored.revision, stored.model) == (2, "m2")
