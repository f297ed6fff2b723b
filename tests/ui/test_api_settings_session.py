"""Settings › Local API, a whole session: open Settings, turn the API on, a real
HTTP client calls the server the window runs (its own thread and loop), the
status line counts the requests, Regenerate makes the old token 401, turn it
off, reopen Settings. Also: a port in use is one clear status line; an address
other than 127.0.0.1 is asked about before it is saved."""

from __future__ import annotations

import json
import socket

import httpx
import pytest
from layout_support import clipping, picture
from keyring.backends import fail
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from dialog_helpers import WAIT_MS, click_box_button, host, message_box

from app.core.secrets import API_TOKEN_ENTRY, API_TOKEN_ENV, SERVICE
from app.ui.api_server import ApiServerController
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.theme import ThemeManager
from tests.support.memory_keyring import installed

__all__ = ["host"]

START_MS = 15_000


@pytest.fixture
def server(settings, host):
    controller = ApiServerController(settings, parent=host)
    yield controller
    controller.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_api_page(bridge, settings, host, server, qtbot) -> SettingsDialog:
    dialog = SettingsDialog(bridge, settings, api=server, parent=host)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.show_page("Local API")
    qtbot.waitUntil(lambda: dialog.api.isVisible(), timeout=WAIT_MS)
    return dialog


def get(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers=headers, timeout=10)


def test_turn_on_call_count_regenerate_turn_off_reopen(
        bridge, settings, host, server, keyring_backend, qtbot) -> None:
    port = free_port()
    dialog = open_api_page(bridge, settings, host, server, qtbot)
    page = dialog.api
    assert not page.enabled.isChecked() and page.host.text() == "127.0.0.1"
    assert page.status.text() == "Off"
    token = keyring_backend.entries[(SERVICE, API_TOKEN_ENTRY)]
    assert page.token.text() == token
    assert page.token.echoMode() == page.token.EchoMode.Password
    page.show_token.click()
    assert page.token.echoMode() == page.token.EchoMode.Normal
    page.copy_token.click()
    assert QGuiApplication.clipboard().text() == token
    page.enabled.setChecked(True)
    page.port.setValue(port)
    page.rate.setValue(600)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    saved = json.loads(settings.settings_file.read_text(encoding="utf-8"))
    assert saved["api"] == {"enabled": True, "port": port, "rate_limit_per_minute": 600}
    qtbot.waitUntil(lambda: server.state == "on", timeout=START_MS)
    base = f"http://127.0.0.1:{port}"
    assert server.address == base

    assert get(f"{base}/health", None).status_code == 200
    assert get(f"{base}/api/agents", None).status_code == 401
    listed = get(f"{base}/api/agents", token)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 0

    dialog = open_api_page(bridge, settings, host, server, qtbot)     # reopened
    page = dialog.api
    assert page.enabled.isChecked() and page.port.value() == port
    qtbot.waitUntil(lambda: "3 requests" in page.status.text(), timeout=WAIT_MS)
    assert page.status.text().startswith(f"On at {base}")

    page.regenerate.click()
    click_box_button(message_box(dialog, "confirmMessage", qtbot), "Regenerate")
    new_token = page.token.text()
    assert new_token != token
    assert keyring_backend.entries[(SERVICE, API_TOKEN_ENTRY)] == new_token
    assert get(f"{base}/api/agents", token).status_code == 401
    assert get(f"{base}/api/agents", new_token).status_code == 200
    qtbot.waitUntil(lambda: "5 requests" in page.status.text(), timeout=WAIT_MS)

    page.enabled.setChecked(False)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: server.state == "off", timeout=START_MS)
    with pytest.raises(httpx.ConnectError):
        get(f"{base}/health", None)

    dialog = open_api_page(bridge, settings, host, server, qtbot)     # reopened once more
    assert not dialog.api.enabled.isChecked()
    assert dialog.api.status.text() == "Off"
    assert dialog.api.token.text() == new_token
    dialog.reject()


def test_a_port_in_use_is_one_clear_status_line(
        bridge, settings, host, server, keyring_backend, qtbot) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        dialog = open_api_page(bridge, settings, host, server, qtbot)
        dialog.api.enabled.setChecked(True)
        dialog.api.port.setValue(port)
        with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
            dialog.ok_button.click()
        assert server.state == "failed"
        dialog = open_api_page(bridge, settings, host, server, qtbot)
        status = dialog.api.status.text()
    assert status.startswith(f"Not running: cannot listen on 127.0.0.1:{port}: ")
    assert "\n" not in status and "Traceback" not in status
    dialog.reject()


def test_another_address_is_asked_about_before_it_is_saved(
        bridge, settings, host, server, keyring_backend, qtbot) -> None:
    dialog = open_api_page(bridge, settings, host, server, qtbot)
    dialog.api.enabled.setChecked(True)
    dialog.api.host.setText("0.0.0.0")
    dialog.api.port.setValue(free_port())
    dialog.ok_button.click()
    box = message_box(dialog, "confirmMessage", qtbot)
    assert "0.0.0.0" in box.text()
    click_box_button(box, "Cancel")
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)
    assert dialog.isVisible()
    assert not settings.settings_file.exists() and not settings.api.enabled
    assert server.state == "off"

    dialog.api.origins.setPlainText("http://localhost:3000\nnot an origin")
    assert "not an origin" in dialog.api.origins_message.text()
    dialog.ok_button.click()
    click_box_button(message_box(dialog, "warningMessage", qtbot), "OK")
    assert not settings.settings_file.exists()
    dialog.reject()


@pytest.fixture
def theme(qapp):
    palette, font, style = QPalette(qapp.palette()), QFont(qapp.font()), qapp.style().name()
    try:
        yield ThemeManager(qapp)
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setFont(font)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_api_page_screenshots(scheme, bridge, settings, host, server, theme, keyring_backend,
                              qtbot, screenshot_dir) -> None:
    """The page with a running server, its status line, an origin and a problem."""
    theme.apply(scheme, 10)
    settings.api.enabled = True
    settings.api.port = free_port()
    settings.api.allowed_origins = ["http://localhost:3000"]
    server.apply(settings)
    qtbot.waitUntil(lambda: server.state == "on", timeout=START_MS)
    assert get(f"{server.address}/health", None).status_code == 200
    dialog = SettingsDialog(bridge, settings, theme=theme, api=server, parent=host)
    dialog.resize(820, 560)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.show_page("Local API")
    qtbot.waitUntil(lambda: "1 request " in dialog.api.status.text(), timeout=WAIT_MS)
    dialog.api.host.setText("my host")
    image = picture(dialog)
    assert image.save(str(screenshot_dir / f"settings-api-{scheme}.png"))
    page = dialog.api
    assert clipping(page.status) == [] and clipping(page.host_message) == []
    assert clipping(page.origins_message) == []
    lightness = sum(image.pixelColor(x, y).lightness() for x in range(0, image.width(), 9)
                    for y in range(0, image.height(), 9))
    lightness /= len(range(0, image.width(), 9)) * len(range(0, image.height(), 9))
    assert lightness < 90 if scheme == "dark" else lightness > 180
    dialog.reject()


def test_a_token_from_the_environment_is_shown_and_not_regenerated(
        bridge, settings, host, server, keyring_backend, monkeypatch, qtbot) -> None:
    monkeypatch.setenv(API_TOKEN_ENV, "token-from-the-environment")
    dialog = open_api_page(bridge, settings, host, server, qtbot)
    assert dialog.api.token.text() == "token-from-the-environment"
    assert not dialog.api.regenerate.isEnabled()
    assert API_TOKEN_ENV in dialog.api.token_message.text()
    assert keyring_backend.entries == {}
    dialog.reject()


def test_a_new_port_restarts_the_server_there(
        bridge, settings, host, server, keyring_backend, qtbot) -> None:
    first, second = free_port(), free_port()
    settings.api.enabled = True
    settings.api.port = first
    server.apply(settings)
    qtbot.waitUntil(lambda: server.state == "on", timeout=START_MS)
    server.apply(settings)                        # nothing changed: left running
    assert server.state == "on"
    dialog = open_api_page(bridge, settings, host, server, qtbot)
    dialog.api.port.setValue(second)
    with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: server.state == "on" and server.port == second,
                    timeout=START_MS)
    assert get(f"http://127.0.0.1:{second}/health", None).status_code == 200
    with pytest.raises(httpx.ConnectError):
        get(f"http://127.0.0.1:{first}/health", None)


def test_without_a_keyring_the_page_and_the_server_say_what_to_do(
        bridge, settings, host, server, monkeypatch, qtbot) -> None:
    monkeypatch.delenv(API_TOKEN_ENV, raising=False)
    with installed(fail.Keyring()):
        dialog = open_api_page(bridge, settings, host, server, qtbot)
        page = dialog.api
        assert page.token.text() == ""
        assert API_TOKEN_ENV in page.token_message.text()
        assert not any(b.isEnabled() for b in (page.show_token, page.copy_token,
                                                page.regenerate))
        page.enabled.setChecked(True)
        page.port.setValue(free_port())
        with qtbot.waitSignal(dialog.sig_settings_saved, timeout=WAIT_MS):
            dialog.ok_button.click()
    assert server.state == "failed"
    assert server.status_text().startswith("Not running: no system keyring")
    assert API_TOKEN_ENV in server.status_text()
