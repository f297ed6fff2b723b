"""The model selector shows each model's size and quantization (from a real
provider: the in-test Ollama server, through the discovery path the bar uses);
renaming a chat through Chat › Rename Chat… and its dialog changes the store
and the list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QInputDialog
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from tests.providers.ollama_server import OllamaServer


@pytest.fixture
def ollama() -> Iterator[OllamaServer]:
    with OllamaServer() as server:
        yield server


def test_model_selector_shows_size_and_quantization(qtbot, bridge, db_path, settings,
                                                    ollama) -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="ollama", kind="ollama",
                                              base_url=ollama.base_url, is_local=True))
        store.agents.create(AgentSpec(name="Local", provider="ollama", model="llava:7b"))
    window = open_window(qtbot, bridge, settings)
    combo = window.model_bar.model_combo
    qtbot.waitUntil(lambda: combo.count() == 4, timeout=WAIT_MS)   # 3 models + auto

    labels = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    # The server's /api/tags sizes and details: bytes as GB, parameter size, quantization.
    assert labels["llama3.2:latest"] == "llama3.2:latest (2.0 GB, 3.2B, Q4_K_M)"
    assert labels["llava:7b"] == "llava:7b (4.7 GB, 7B, Q4_0)"
    assert labels["qwen3:0.6b"] == "qwen3:0.6b (0.5 GB, 751.63M, Q4_K_M)"
    assert combo.currentData() == "llava:7b"
    assert combo.currentText() == "llava:7b (4.7 GB, 7B, Q4_0)"
    assert any(r.path == "/api/tags" for r in ollama.requests)


def test_renaming_a_chat_through_its_dialog(qtbot, bridge, db_path, settings) -> None:
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="none", kind="llamacpp",
                                              base_url="http://127.0.0.1:9/v1"))
        agent = store.agents.create(AgentSpec(name="Writer", provider="none", model="m"))
        chat = store.conversations.create(agent.id, "Untitled idea")
        other = store.conversations.create(agent.id, "Keep me")
    window = open_window(qtbot, bridge, settings)
    model = window.conversation_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=WAIT_MS)
    assert window.conversation_list.select(chat.id)

    window.actions.rename_chat.trigger()
    dialogs: list[QInputDialog] = []

    def dialog_open() -> bool:
        dialogs[:] = [d for d in window.findChildren(QInputDialog, "renameDialog")
                      if d.isVisible()]
        return bool(dialogs)

    qtbot.waitUntil(dialog_open, timeout=WAIT_MS)
    dialog = dialogs[0]
    assert dialog.textValue() == "Untitled idea"
    dialog.setTextValue("Garden plan")
    dialog.accept()

    def stored_title(conversation_id: int) -> str:
        with Store(db_path) as store:
            return store.conversations.get(conversation_id).title

    qtbot.waitUntil(lambda: stored_title(chat.id) == "Garden plan", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: model.index(model.row_of(chat.id)).data() == "Garden plan",
                    timeout=WAIT_MS)
    assert stored_title(other.id) == "Keep me"
    assert model.index(model.row_of(other.id)).data() == "Keep me"
    assert window.conversation_list.current_conversation().title == "Garden plan"
