"""The agent editor: create through the dialog, validation at the fields,
tool policies, local-only, presets."""

from __future__ import annotations

import pytest
from dialog_helpers import WAIT_MS, host, open_dialog, seed_providers
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.core.presets import get_preset
from app.domain import AgentSpec, FallbackTarget
from app.ui.dialogs.agent_dialog import AgentDialog


__all__ = ["host", "open_dialog"]  # the fixtures, imported for their use below


@pytest.fixture
def providers(aio, async_store):
    return seed_providers(aio, async_store)


def type_name(dialog: AgentDialog, qtbot, name: str) -> None:
    dialog.form.name.selectAll()
    qtbot.keyClicks(dialog.form.name, name) if name else dialog.form.name.del_()
    # Let the debounced uniqueness check finish.
    qtbot.waitUntil(dialog.name_checked, timeout=WAIT_MS)


def stored(aio, store, name: str) -> AgentSpec:
    return aio.run(store.run(lambda s: s.agents.get_by_name(name)))


def test_creating_an_agent_stores_every_field(aio, async_store, open_dialog, providers,
                                              qtbot) -> None:
    dialog = open_dialog(default_provider="local")
    assert dialog.objectName() == "agentDialog"
    assert not dialog.ok_button.isEnabled()  # no name yet

    type_name(dialog, qtbot, "Researcher")
    dialog.form.system_prompt.setPlainText("Be brief.\nCite sources.")
    dialog.form.provider.set_current("local")
    dialog.form.model.setEditText("gemma3")
    dialog.form.temperature_slider.setValue(35)  # 0.35, the spin box follows
    dialog.form.max_tokens.setValue(512)
    dialog.form.streaming.setChecked(False)
    dialog.form.memory.setCurrentIndex(dialog.form.memory.findData("last"))
    dialog.form.memory_turns.setValue(6)

    tools = dialog.tools
    assert {"calculator", "clock", "files", "python", "web_search", "fetch_url",
            "memory"} <= set(tools.tool_names())
    tools.set_checked("calculator", True)
    tools.set_checked("python", True)
    python_policy = tools.policy_combo("python")
    python_policy.setCurrentIndex(python_policy.findData("deny"))
    calculator_policy = tools.policy_combo("calculator")
    # The tool's own default is marked and stores no override.
    assert "(default)" in calculator_policy.currentText()

    dialog.fallbacks.provider.set_current("local")
    dialog.fallbacks.model.setEditText("backup-model")
    qtbot.mouseClick(dialog.fallbacks.add_button, Qt.MouseButton.LeftButton)
    dialog.workspace.setText("/tmp/agent-space")

    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    spec = saved.args[0]
    assert isinstance(spec, AgentSpec) and spec.id is not None
    assert dialog.result() == QDialog.DialogCode.Accepted

    row = stored(aio, async_store, "Researcher")
    assert row == spec
    assert row.system_prompt == "Be brief.\nCite sources."
    assert (row.provider, row.model) == ("local", "gemma3")
    assert row.temperature == pytest.approx(0.35)
    assert row.max_tokens == 512 and row.streaming is False and row.max_turns == 6
    assert row.tools == ["calculator", "python"]
    assert row.tool_policies == {"python": "deny"}
    assert row.fallbacks == [FallbackTarget(provider="local", model="backup-model")]
    assert row.workspace == "/tmp/agent-space"


def test_name_messages_at_the_field(aio, async_store, open_dialog, providers, qtbot) -> None:
    aio.run(async_store.run(lambda s: s.agents.create(AgentSpec(name="Taken"))))
    dialog = open_dialog()
    message = dialog.form.name_message

    type_name(dialog, qtbot, "tAKEN")
    assert message.isVisible() and "already called" in message.text()
    assert not dialog.ok_button.isEnabled()

    type_name(dialog, qtbot, "Fresh")
    assert not message.isVisible()
    assert dialog.ok_button.isEnabled()

    type_name(dialog, qtbot, "")
    assert message.isVisible() and message.text() == "A name is required."
    assert not dialog.ok_button.isEnabled()

    type_name(dialog, qtbot, "x" * 256)
    assert "too long" in message.text() and not dialog.ok_button.isEnabled()


def test_editing_keeps_its_own_name_valid(aio, async_store, open_dialog, providers,
                                          qtbot) -> None:
    spec = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Mine", provider="local", model="m"))))
    dialog = open_dialog(spec)
    assert dialog.ok_button.text() == "Save"
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    dialog.form.max_tokens.setValue(99)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        dialog.ok_button.click()
    assert saved.args[0].revision == 2
    assert stored(aio, async_store, "Mine").max_tokens == 99


def test_bad_fallback_and_max_tokens_are_reported(open_dialog, providers, qtbot) -> None:
    dialog = open_dialog()
    type_name(dialog, qtbot, "Checker")
    assert dialog.ok_button.isEnabled()

    dialog.fallbacks.provider.set_current("local")
    dialog.fallbacks.model.setEditText("")
    dialog.fallbacks.add_button.click()
    assert dialog.fallback_message.text() == "Fallback 1 has no model."
    assert not dialog.ok_button.isEnabled()
    dialog.fallbacks.remove_button.click()
    assert not dialog.fallback_message.isVisible() and dialog.ok_button.isEnabled()

    dialog.form.max_tokens.setValue(0)
    assert dialog.form.max_tokens_message.text() == "Max tokens must be at least 1."
    assert not dialog.ok_button.isEnabled()


def test_fallbacks_move_up_and_down(open_dialog, providers, qtbot) -> None:
    dialog = open_dialog()
    for model in ("a", "b", "c"):
        dialog.fallbacks.add_entry("local", model)
    dialog.fallbacks.list.setCurrentRow(2)
    dialog.fallbacks.up_button.click()
    assert [m for _p, m in dialog.fallbacks.entries()] == ["a", "c", "b"]
    dialog.fallbacks.list.setCurrentRow(0)
    dialog.fallbacks.down_button.click()
    assert [m for _p, m in dialog.fallbacks.entries()] == ["c", "a", "b"]
    assert dialog.fallbacks.list.currentRow() == 1  # the moved entry stays selected
    dialog.fallbacks.list.setCurrentRow(0)
    assert not dialog.fallbacks.up_button.isEnabled()  # the first cannot go up
    assert dialog.fallbacks.down_button.isEnabled()


def test_local_only_disables_cloud_providers(open_dialog, providers, qtbot) -> None:
    dialog = open_dialog()
    type_name(dialog, qtbot, "Private")
    form = dialog.form
    form.provider.set_current("cloud")
    assert form.provider.is_enabled_item("cloud")
    assert not dialog.local_only_note.isVisible()

    dialog.tabs.setCurrentIndex(2)
    dialog.local_only.setChecked(True)
    assert not form.provider.is_enabled_item("cloud")
    assert form.provider.is_enabled_item("local")
    assert not dialog.fallbacks.provider.is_enabled_item("cloud")
    assert dialog.local_only_note.isVisible()
    assert "cloud provider" in form.provider_message.text()
    assert not dialog.ok_button.isEnabled()

    form.provider.set_current("local")
    assert not form.provider_message.isVisible()
    assert dialog.ok_button.isEnabled()

    dialog.local_only.setChecked(False)
    assert form.provider.is_enabled_item("cloud")


def test_preset_fills_the_form(open_dialog, providers, qtbot) -> None:
    dialog = open_dialog(default_provider="local")
    form = dialog.form
    assert form.preset.isVisibleTo(dialog)
    index = form.preset.findData("Math Tutor")
    form.preset.setCurrentIndex(index)
    form.preset.activated.emit(index)
    preset = get_preset("Math Tutor")
    assert form.name.text() == preset.name
    assert form.system_prompt.toPlainText() == preset.system_prompt
    assert form.temperature.value() == pytest.approx(preset.temperature)
    assert dialog.tools.selected_tools() == list(preset.tools)
    assert form.provider.current_name() == "local"  # where it runs is kept
