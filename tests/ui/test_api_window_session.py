"""The window serves the local API when the settings say so: the server starts
with the desktop shell, the tray menu shows it with its request count, the
window's Settings edits the same server, and quitting stops it."""

from __future__ import annotations

import gc
import socket
import sys

import httpx
import pytest
from window_support import WAIT_MS, open_window

from app.api.server_tuning import SERVER_GIL_SWITCH_SECONDS
from app.core.secrets import api_token
from app.domain import AgentSpec, ProviderConfig
from app.ui.conversation_list_model import API_MARK
from app.ui.desktop_shell import DesktopShell

START_MS = 15_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_window_serves_the_api_shows_it_in_the_tray_and_stops_it_on_quit(
        qtbot, bridge, settings, keyring_backend) -> None:
    port = free_port()
    settings.api.enabled = True
    settings.api.port = port
    window = open_window(qtbot, bridge, settings)
    shell = DesktopShell(window, bridge, window._model, settings)
    action = shell.tray.api_action
    assert not action.isVisible()
    default_switch = sys.getswitchinterval()
    frozen_before = gc.get_freeze_count()
    assert default_switch > SERVER_GIL_SWITCH_SECONDS
    shell.start()
    server = window.api_server
    qtbot.waitUntil(lambda: server.state == "on", timeout=START_MS)
    # The server thread shares the GIL with the window: shorter switches while it runs.
    assert sys.getswitchinterval() == pytest.approx(SERVER_GIL_SWITCH_SECONDS)
    # ... and the server's start-up objects are out of later full collections.
    assert gc.get_freeze_count() > frozen_before
    base = f"http://127.0.0.1:{port}"
    assert action.isVisible() and action in shell.tray.menu.actions()
    assert action.text().startswith(f"Local API: On at {base}")
    assert shell.tray.icon.toolTip() == f"AgentDesk · local API on at {base}"

    reply = httpx.get(f"{base}/api/agents",
                      headers={"Authorization": f"Bearer {api_token()}"}, timeout=10)
    assert reply.status_code == 200, reply.text
    qtbot.waitUntil(lambda: "· 1 request " in action.text(), timeout=WAIT_MS)

    window._window_dialogs.open_settings()            # the window's own Settings
    dialog = window.dialogs.get("settings")
    assert dialog is not None and dialog.api_server is server
    dialog.show_page("Local API")
    qtbot.waitUntil(lambda: "1 request " in dialog.api.status.text(), timeout=WAIT_MS)
    dialog.reject()

    shell.close()                                     # what quitting does
    assert server.state == "off"
    assert sys.getswitchinterval() == pytest.approx(default_switch)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/health", timeout=5)


def test_a_chat_over_the_window_api_shows_in_the_window_marked(
        qtbot, aio, async_store, bridge, settings, keyring_backend, llama_server) -> None:
    def seed(s):
        s.providers.create(ProviderConfig(name="llama", kind="llamacpp",
                                          base_url=llama_server.base_url))
        return s.agents.create(AgentSpec(name="gemma", provider="llama",
                                         model=llama_server.model, max_tokens=8,
                                         temperature=0.0))
    agent = aio.run(async_store.run(seed))
    settings.api.enabled = True
    settings.api.port = free_port()
    window = open_window(qtbot, bridge, settings)
    shell = DesktopShell(window, bridge, window._model, settings)
    shell.start()
    server = window.api_server
    qtbot.waitUntil(lambda: server.state == "on", timeout=START_MS)
    qtbot.waitUntil(lambda: window.select_agent(agent.id), timeout=WAIT_MS)

    reply = httpx.post(f"{server.address}/api/agents/{agent.id}/chat",
                       json={"message": "Say hi", "stream": False},
                       headers={"Authorization": f"Bearer {api_token()}"}, timeout=120)
    assert reply.status_code == 200, reply.text
    conversation_id = int(reply.headers["X-Conversation-Id"])

    model = window.conversation_model
    def listed() -> list[str]:
        return [model.index(row).data() for row in range(model.rowCount())
                if model.index(row).data(model.ConversationIdRole) == conversation_id]
    qtbot.waitUntil(lambda: bool(listed()), timeout=15_000)   # the external-change watch
    assert listed()[0].endswith(API_MARK)
    shell.close()
    assert server.state == "off"
