"""The agent editor's "Advanced generation" group: only the settings the
chosen provider takes are shown, invalid values are named at the field,
and what is saved comes back when the dialog is opened again."""

from __future__ import annotations

import pytest
from dialog_helpers import WAIT_MS, host, open_dialog, seed_providers
from PySide6.QtCore import Qt

from app.domain import AgentSpec, ProviderConfig
from app.domain.generation import GENERATION_SETTINGS, GenerationSettings
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.dialogs.generation_editor import escape_stop, unescape_stop

__all__ = ["host", "open_dialog"]

SETTINGS = GenerationSettings(top_p=0.85, repeat_penalty=1.2, context_length=4096, seed=11,
                              stop=["\n\n", "User:"])


@pytest.fixture
def providers(aio, async_store):
    configs = seed_providers(aio, async_store)  # local: llamacpp, cloud: openai
    more = [ProviderConfig(name="olla", kind="ollama", base_url=configs[0].base_url),
            ProviderConfig(name="inproc", kind="embedded", model_path="/nowhere/m.gguf")]
    return configs + aio.run(async_store.run(lambda s: [s.providers.create(c)
                                                        for c in more]))


def save(dialog: AgentDialog, qtbot) -> AgentSpec:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return saved.args[0]


def test_stop_sequences_are_written_with_escapes_both_ways() -> None:
    for text in ["\n\n", "a\\nb", "tab\there", "plain", "\\"]:
        assert unescape_stop(escape_stop(text)) == text
    assert escape_stop("\n\n") == "\\n\\n"


def test_only_the_settings_the_provider_takes_are_shown(aio, async_store, open_dialog,
                                                        providers, qtbot) -> None:
    agent = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Shown", provider="olla", model="m"))))
    dialog = open_dialog(agent)
    editor = dialog.generation
    dialog.tabs.setCurrentWidget(editor)
    assert editor.group.title() == "Advanced generation"
    expected = {
        "olla": list(GENERATION_SETTINGS),
        "inproc": list(GENERATION_SETTINGS),
        "local": ["top_p", "repeat_penalty", "seed", "stop"],   # llama.cpp server
        "cloud": ["top_p", "seed", "stop"],                     # OpenAI
    }
    for name in ["olla", "cloud", "local", "inproc", "cloud", "olla"]:  # and back again
        dialog.form.provider.set_current(name)
        assert editor.visible_settings() == expected[name], name
        visible = [s for s in GENERATION_SETTINGS if editor.fields[s].isVisible()]
        assert visible == expected[name], name
    dialog.form.provider.set_current("cloud")
    assert "2 settings that cloud does not take are hidden" in editor.note.text()


def test_the_default_provider_stands_for_the_configured_default(open_dialog, providers,
                                                                qtbot) -> None:
    dialog = open_dialog(default_provider="cloud")
    dialog.form.provider.set_current("")
    assert dialog.generation.visible_settings() == ["top_p", "seed", "stop"]


def test_invalid_values_are_named_at_the_field_and_block_saving(open_dialog, providers,
                                                                qtbot) -> None:
    dialog = open_dialog()
    dialog.form.name.setText("Checked")
    qtbot.waitUntil(dialog.name_checked, timeout=WAIT_MS)
    dialog.form.provider.set_current("olla")
    dialog.tabs.setCurrentWidget(dialog.generation)
    editor = dialog.generation
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    for setting, text in [("top_p", "1.5"), ("repeat_penalty", "0"),
                          ("context_length", "12"), ("seed", "x")]:
        editor.fields[setting].setText(text)
        assert not dialog.ok_button.isEnabled(), setting
        assert editor.messages[setting].isVisible()
        editor.fields[setting].clear()
        assert not editor.messages[setting].isVisible()
    editor.fields["stop"].setPlainText("a\nb\nc\nd\ne")
    assert editor.messages["stop"].text() == "At most 4 stop sequences."
    assert not dialog.ok_button.isEnabled()
    editor.fields["stop"].setPlainText("a")
    assert dialog.ok_button.isEnabled()


def test_values_typed_survive_save_and_reopen_twice(aio, async_store, open_dialog,
                                                    providers, qtbot) -> None:
    dialog = open_dialog()
    dialog.form.name.setText("Sampler")
    qtbot.waitUntil(dialog.name_checked, timeout=WAIT_MS)
    dialog.form.provider.set_current("olla")
    dialog.tabs.setCurrentWidget(dialog.generation)
    fields = dialog.generation.fields
    qtbot.keyClicks(fields["top_p"], "0.85")
    qtbot.keyClicks(fields["repeat_penalty"], "1.2")
    qtbot.keyClicks(fields["context_length"], "4096")
    qtbot.keyClicks(fields["seed"], "11")
    fields["stop"].setFocus()
    qtbot.keyClicks(fields["stop"], "\\n\\n")
    qtbot.keyClick(fields["stop"], Qt.Key.Key_Return)
    qtbot.keyClicks(fields["stop"], "User:")
    created = save(dialog, qtbot)
    assert created.generation == SETTINGS
    assert aio.run(async_store.run(lambda s: s.agents.get(created.id))).generation == SETTINGS

    again = open_dialog(created)
    assert again.generation.settings() == SETTINGS
    assert again.generation.fields["stop"].toPlainText() == "\\n\\n\nUser:"
    again.generation.fields["seed"].clear()          # back to a fresh seed per reply
    edited = save(again, qtbot)
    assert edited.revision == 2 and edited.generation.seed is None

    third = open_dialog(edited)
    assert third.generation.settings() == SETTINGS.model_copy(update={"seed": None})
    history = [third.history.list.item(r).text() for r in range(third.history.list.count())]
    assert "generation settings" in history[0]


def test_settings_the_new_provider_ignores_are_kept_and_named(aio, async_store, open_dialog,
                                                              providers, qtbot) -> None:
    agent = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Mover", provider="olla", model="m", generation=SETTINGS))))
    dialog = open_dialog(agent)
    editor = dialog.generation
    assert not editor.unsent.isVisibleTo(editor)
    dialog.form.provider.set_current("cloud")
    assert editor.unsent.isVisibleTo(editor)
    assert editor.unsent.text() == ("Kept but not sent to cloud: repeat penalty, "
                                    "context length.")
    saved = save(dialog, qtbot)
    assert saved.provider == "cloud" and saved.generation == SETTINGS
