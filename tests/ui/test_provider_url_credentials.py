"""Settings › Providers and a key typed into the URL (issue 15, item 10): the
form refuses it and points at the API key field; a provider stored with one
before is listed redacted, marked, and can be fixed in the same editor."""

from __future__ import annotations

from dialog_helpers import WAIT_MS, host

from app.domain import ProviderConfig
from app.ui.dialogs.provider_editor import ProviderEditor
from app.ui.dialogs.settings_dialog import SettingsDialog
from tests.support.memory_keyring import MemoryKeyring, installed

__all__ = ["host"]

KEY = "Zq7Kp2Lx9Vw4Rt6Y"


def open_settings(bridge, settings, host, qtbot) -> SettingsDialog:
    dialog = SettingsDialog(bridge, settings, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    return dialog


def editor_of(dialog: SettingsDialog, qtbot) -> ProviderEditor:
    found: list[ProviderEditor] = []

    def visible() -> bool:
        found[:] = [e for e in dialog.findChildren(ProviderEditor) if e.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=WAIT_MS)
    return found[0]


def test_the_form_refuses_a_key_in_the_url(bridge, settings, host, qtbot) -> None:
    dialog = open_settings(bridge, settings, host, qtbot)
    dialog.providers.add_button.click()
    editor = editor_of(dialog, qtbot)
    editor.kind.setCurrentIndex(editor.kind.findData("openai"))
    qtbot.keyClicks(editor.name, "cloud")
    for url in (f"https://user:{KEY}@api.example.com/v1",
                f"https://api.example.com/v1?api_key={KEY}"):
        editor.url.clear()
        qtbot.keyClicks(editor.url, url)
        assert editor.url_message.isVisible()
        assert "API key field" in editor.url_message.text()
        assert KEY not in editor.url_message.text()
        assert not editor.ok_button.isEnabled()
    editor.url.clear()
    qtbot.keyClicks(editor.url, "https://api.example.com/v1")
    assert editor.ok_button.isEnabled()
    editor.reject()


def test_a_stored_credential_url_is_listed_redacted_and_fixed_in_the_editor(
        aio, async_store, bridge, settings, host, qtbot) -> None:
    url = f"http://user:{KEY}@127.0.0.1:9/v1"
    aio.run(async_store.run(lambda s: s.providers.create(
        ProviderConfig(name="old", kind="openai", base_url=url))))
    with installed(MemoryKeyring()) as keyring:
        dialog = open_settings(bridge, settings, host, qtbot)
        page = dialog.providers
        qtbot.waitUntil(lambda: page.list.count() == 1, timeout=WAIT_MS)
        text = page.list.item(0).text()
        assert KEY not in text
        assert "http://[REDACTED]@127.0.0.1:9/v1" in text and "key in the URL" in text
        page.list.setCurrentRow(0)
        page.edit_button.click()
        editor = editor_of(dialog, qtbot)
        assert editor.url_message.isVisible() and not editor.ok_button.isEnabled()
        editor.url.clear()
        qtbot.keyClicks(editor.url, "http://127.0.0.1:9/v1")
        qtbot.keyClicks(editor.api_key, KEY)
        assert editor.ok_button.isEnabled()
        editor.ok_button.click()
        qtbot.waitUntil(lambda: "key in the URL" not in page.list.item(0).text(),
                        timeout=WAIT_MS)
        [stored] = aio.run(async_store.run(lambda s: s.providers.list()))
        assert stored.base_url == "http://127.0.0.1:9/v1"
        assert stored.api_key_ref == "keyring:provider:old"
        assert keyring.entries[("AgentDesk", "provider:old")] == KEY
