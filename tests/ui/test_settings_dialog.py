"""The settings dialog: providers (key in the keyring only, Test Connection
against the real llama.cpp server and a closed port), defaults, privacy
patterns, saving settings.json."""

from __future__ import annotations

import json

import pytest
from dialog_helpers import WAIT_MS, click_box_button, closed_port, host, message_box

from app.domain import ProviderConfig
from app.ui.dialogs.provider_editor import ProviderEditor
from app.ui.dialogs.settings_dialog import SettingsDialog
from tests.support.memory_keyring import MemoryKeyring, installed

__all__ = ["host"]

SECRET = "sk-test-9f8e7d6c5b4a-NEVER-ON-DISK"


@pytest.fixture
def keyring_backend():
    with installed(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture
def open_settings(bridge, settings, host, qtbot):
    def opener(**kwargs) -> SettingsDialog:
        dialog = SettingsDialog(bridge, settings, parent=host, **kwargs)
        dialog.open()
        qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
        return dialog
    return opener


def editor_of(dialog: SettingsDialog, qtbot) -> ProviderEditor:
    found: list[ProviderEditor] = []

    def visible() -> bool:
        found[:] = [e for e in dialog.findChildren(ProviderEditor) if e.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=WAIT_MS)
    return found[0]


def providers(aio, store) -> list[ProviderConfig]:
    return aio.run(store.run(lambda s: s.providers.list()))


def test_adding_a_provider_keeps_the_key_out_of_every_file(
        aio, async_store, open_settings, settings, keyring_backend, db_path, qtbot) -> None:
    dialog = open_settings()
    assert dialog.objectName() == "settingsDialog"
    page = dialog.providers
    page.add_button.click()
    editor = editor_of(dialog, qtbot)
    editor.kind.setCurrentIndex(editor.kind.findData("openai"))
    assert editor.url.text() == "https://api.openai.com/v1"
    assert "cloud" in editor.locality.text()
    assert not editor.ok_button.isEnabled()  # no name yet
    qtbot.keyClicks(editor.name, "OpenAI")
    qtbot.keyClicks(editor.api_key, SECRET)
    assert editor.ok_button.isEnabled()
    editor.ok_button.click()

    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=WAIT_MS)
    [config] = providers(aio, async_store)
    assert (config.name, config.kind, config.is_local) == ("OpenAI", "openai", False)
    assert config.api_key_ref == "keyring:provider:OpenAI"
    assert keyring_backend.entries[("AgentDesk", "provider:OpenAI")] == SECRET

    dialog.ok_button.click()
    qtbot.waitUntil(lambda: settings.settings_file.exists(), timeout=WAIT_MS)
    aio.run(async_store.run(lambda s: s.db.execute_sql("PRAGMA wal_checkpoint(FULL)")))
    for path in settings.home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_a_key_saved_under_a_name_taken_meanwhile_leaves_the_keyring_as_it_was(
        aio, async_store, open_settings, keyring_backend, qtbot) -> None:
    dialog = open_settings()
    page = dialog.providers
    # While the dialog is open, the CLI adds "cloud" with its own key.
    keyring_backend.entries[("AgentDesk", "provider:cloud")] = "sk-the-cli-key"
    aio.run(async_store.run(lambda s: s.providers.create(ProviderConfig(
        name="cloud", kind="openai", base_url="https://api.openai.com/v1",
        api_key_ref="keyring:provider:cloud", is_local=False))))
    for attempt in (1, 2):                   # the person tries twice
        page.add_button.click()
        editor = editor_of(dialog, qtbot)
        editor.kind.setCurrentIndex(editor.kind.findData("openai"))
        qtbot.keyClicks(editor.name, "cloud")
        qtbot.keyClicks(editor.api_key, f"{SECRET}-{attempt}")
        editor.ok_button.click()
        qtbot.waitUntil(lambda: "exists" in page.result.toolTip(), timeout=WAIT_MS)
        assert keyring_backend.entries == {("AgentDesk", "provider:cloud"): "sk-the-cli-key"}
        page.result.setToolTip("")
    [config] = providers(aio, async_store)
    assert config.api_key_ref == "keyring:provider:cloud"

    page.add_button.click()                  # under a free name it is saved
    editor = editor_of(dialog, qtbot)
    editor.kind.setCurrentIndex(editor.kind.findData("openai"))
    qtbot.keyClicks(editor.name, "cloud two")
    qtbot.keyClicks(editor.api_key, SECRET)
    editor.ok_button.click()
    qtbot.waitUntil(lambda: len(providers(aio, async_store)) == 2, timeout=WAIT_MS)
    assert keyring_backend.entries == {("AgentDesk", "provider:cloud"): "sk-the-cli-key",
                                       ("AgentDesk", "provider:cloud two"): SECRET}


def test_a_loopback_openai_compatible_server_is_local(open_settings, qtbot) -> None:
    dialog = open_settings()
    dialog.providers.add_button.click()
    editor = editor_of(dialog, qtbot)
    editor.kind.setCurrentIndex(editor.kind.findData("openai"))
    editor.name.setText("mine")
    editor.url.setText("http://127.0.0.1:8080/v1")
    assert "local" in editor.locality.text()
    assert editor.config().is_local
    editor.url.setText("not a url")
    assert editor.url_message.isVisible() and not editor.ok_button.isEnabled()
    editor.reject()


def test_editing_a_provider_rejects_a_taken_name(aio, async_store, open_settings,
                                                 qtbot) -> None:
    aio.run(async_store.run(lambda s: [
        s.providers.create(ProviderConfig(name=n, kind="ollama",
                                          base_url="http://127.0.0.1:11434"))
        for n in ("first", "second")]))
    dialog = open_settings()
    page = dialog.providers
    qtbot.waitUntil(lambda: page.list.count() == 2, timeout=WAIT_MS)
    page.list.setCurrentRow(1)
    page.edit_button.click()
    editor = editor_of(dialog, qtbot)
    editor.name.setText("FIRST")
    assert "exists already" in editor.name_message.text()
    assert not editor.ok_button.isEnabled()
    editor.name.setText("renamed")
    editor.enabled.setChecked(False)
    editor.ok_button.click()
    qtbot.waitUntil(lambda: any(not p.enabled for p in providers(aio, async_store)),
                    timeout=WAIT_MS)
    assert [p.name for p in providers(aio, async_store)] == ["first", "renamed"]


def test_removing_a_provider_deletes_its_key(aio, async_store, open_settings,
                                             keyring_backend, qtbot) -> None:
    keyring_backend.entries[("AgentDesk", "provider:cloud")] = SECRET
    aio.run(async_store.run(lambda s: s.providers.create(ProviderConfig(
        name="cloud", kind="openai", base_url="https://api.openai.com/v1",
        api_key_ref="keyring:provider:cloud", is_local=False))))
    dialog = open_settings()
    page = dialog.providers
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=WAIT_MS)
    page.list.setCurrentRow(0)
    page.remove_button.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Remove")
    qtbot.waitUntil(lambda: page.list.count() == 0, timeout=WAIT_MS)
    assert providers(aio, async_store) == []
    assert keyring_backend.entries == {}


def test_test_connection_reports_latency_version_and_models(
        aio, async_store, open_settings, llama_server, qtbot) -> None:
    aio.run(async_store.run(lambda s: s.providers.create(ProviderConfig(
        name="llama", kind="llamacpp", base_url=llama_server.base_url))))
    dialog = open_settings()
    page = dialog.providers
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=WAIT_MS)
    page.list.setCurrentRow(0)
    page.test_button.click()
    assert page.spinner.spinning and not page.test_button.isEnabled()
    qtbot.waitUntil(lambda: not page.spinner.spinning, timeout=60_000)
    text = page.result_text()
    assert text.startswith("Connected in ") and " ms" in text
    assert "1 model" in text
    assert page.test_button.isEnabled()


def test_test_connection_explains_a_dead_server(aio, async_store, open_settings,
                                                qtbot) -> None:
    aio.run(async_store.run(lambda s: s.providers.create(ProviderConfig(
        name="gone", kind="llamacpp", base_url=f"http://127.0.0.1:{closed_port()}/v1"))))
    dialog = open_settings()
    page = dialog.providers
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=WAIT_MS)
    page.list.setCurrentRow(0)
    page.test_button.click()
    qtbot.waitUntil(lambda: not page.spinner.spinning, timeout=30_000)
    text = page.result_text()
    assert "\nFix: " in text
    assert "not running" in text or "cannot" in text.lower()


def test_privacy_patterns_are_validated_as_typed_and_saved(open_settings, settings,
                                                           qtbot) -> None:
    dialog = open_settings()
    dialog.show_page("Privacy")
    page = dialog.privacy
    qtbot.keyClicks(page.edit, r"Project (Falcon")
    assert page.message.isVisible() and "Not a valid regular expression" in page.message.text()
    assert not page.add_button.isEnabled()
    page.edit.clear()
    qtbot.keyClicks(page.edit, "x*")
    assert "matches empty text" in page.message.text()
    page.edit.clear()
    qtbot.keyClicks(page.edit, r"\bProject Falcon\b")
    assert not page.message.isVisible() and page.add_button.isEnabled()
    page.add_button.click()
    assert page.patterns() == [r"\bProject Falcon\b"]

    dialog.ok_button.click()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert saved["privacy_patterns"] == [r"\bProject Falcon\b"]


def test_defaults_are_saved(aio, async_store, open_settings, settings, qtbot) -> None:
    aio.run(async_store.run(lambda s: s.providers.create(ProviderConfig(
        name="local", kind="llamacpp", base_url=f"http://127.0.0.1:{closed_port()}/v1"))))
    dialog = open_settings()
    page = dialog.providers
    qtbot.waitUntil(lambda: page.default_provider.findData("local") >= 0, timeout=WAIT_MS)
    page.default_provider.set_current("local")
    page.default_model.setEditText("gemma3")
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert (saved["default_provider"], saved["default_model"]) == ("local", "gemma3")
