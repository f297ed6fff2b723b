"""A message that appears under a field while its dialog is shown gets the
height its wrapped text needs and stays off the field above it: in the agent
editor, the provider editor and the settings; and a picture taken at once
(the docs' screenshots) shows it so."""

from __future__ import annotations

from PySide6.QtCore import Qt
from dialog_helpers import WAIT_MS, host, open_dialog, seed_providers
from layout_support import clipping, picture, settled

from app.ui.dialogs.provider_editor import ProviderEditor
from app.ui.dialogs.settings_dialog import SettingsDialog

__all__ = ["host", "open_dialog"]

LONG = ("The llama.cpp server is not running at http://127.0.0.1:58537/v1. Start it with "
        "`llama-server -m MODEL.gguf --port 58537`.")


def test_model_status_shown_late_fits_under_the_model_combo(aio, async_store, open_dialog,
                                                            qtbot) -> None:
    seed_providers(aio, async_store)
    dialog = open_dialog()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    form = dialog.form
    for size in ((640, 560), (720, 640)):          # the minimum and the screenshot's size
        dialog.resize(*size)
        for text in ("Looking for models…", LONG, LONG + " " + LONG, LONG):
            form.model_status.setText(text)
            picture(dialog)                         # as the screenshot takes it: at once
            assert clipping(form.model_status, form.model, form.temperature) == [], text
    # A message shown while another tab is current fits when its tab comes back.
    dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(dialog.generation))
    form.model_status.setText(LONG + " " + LONG)
    dialog.tabs.setCurrentWidget(form)
    settled(dialog)
    assert clipping(form.model_status, form.model, form.temperature) == []
    # The field messages of the General page too (name: typed, then too long).
    form.name.setText("x" * 255)
    qtbot.keyClicks(form.name, "x")                  # one more than a name may have
    settled(dialog)
    assert form.name_message.isVisible()
    assert clipping(form.name_message, form.name, form.system_prompt) == []


def test_provider_editor_messages_fit_when_they_appear_and_grow(host, qtbot) -> None:
    editor = ProviderEditor(None, taken_names=["a" * 60], keyring_available=True, parent=host)
    editor.kind.setCurrentIndex(editor.kind.findData("openai"))
    editor.show()
    qtbot.waitExposed(editor)
    qtbot.keyClicks(editor.name, "b")
    qtbot.keyClick(editor.name, Qt.Key.Key_Backspace)   # "A name is required." (one line)
    editor.url.setText("nonsense")
    settled(editor)
    qtbot.keyClicks(editor.name, "a" * 60)          # the same message row, now two lines
    editor.key_env.show()
    editor.key_env.setText("sk-not-a-name")
    for message, field, below in ((editor.name_message, editor.name, editor.url),
                                  (editor.url_message, editor.url, editor.api_key),
                                  (editor.key_message, editor.key_env, editor.enabled)):
        picture(editor)
        assert message.isVisible(), message.objectName()
        assert clipping(message, field, below) == []
    assert editor.name_message.height() > editor.name.fontMetrics().height() * 1.5  # wrapped


def test_privacy_message_fits_in_settings(bridge, settings, host, qtbot) -> None:
    dialog = SettingsDialog(bridge, settings, parent=host)
    dialog.resize(720, 520)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.show_page("Privacy")
    page = dialog.privacy
    page.edit.setText("(" * 300)
    picture(dialog)
    assert page.message.isVisible()
    assert clipping(page.message, page.edit, dialog.buttons) == []
    dialog.reject()
