"""Helpers shared by the dialog tests (imported as a plain module)."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from app.domain import ProviderConfig
from app.ui.dialogs.agent_dialog import AgentDialog

WAIT_MS = 5000


@pytest.fixture
def host(qtbot) -> QWidget:
    """A parent for the dialogs under test, as the main window is in the app.

    A parentless dialog is owned by its Python wrapper; its signal lambdas make
    reference cycles, so the garbage collector frees it — on whichever thread
    happens to collect, e.g. the store's worker. Deleting a QObject with live
    timers off the GUI thread leaves a dangling timer that crashes a later
    test. A parent deletes its dialogs on the GUI thread instead."""
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def open_dialog(qtbot, bridge, host):
    """Opens an AgentDialog over ``host`` (new, or editing ``spec``), loaded."""
    def opener(spec=None, **kwargs) -> AgentDialog:
        dialog = AgentDialog(bridge, spec, parent=host, **kwargs)
        dialog.open()
        qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
        return dialog
    return opener


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_providers(aio, store) -> list[ProviderConfig]:
    """A local provider and a cloud one, both pointing at a closed port so model
    discovery fails at once instead of reaching the network."""
    port = closed_port()
    configs = [
        ProviderConfig(name="local", kind="llamacpp", base_url=f"http://127.0.0.1:{port}/v1",
                       is_local=True),
        ProviderConfig(name="cloud", kind="openai", base_url=f"http://127.0.0.1:{port}/v1",
                       is_local=False),
    ]
    return aio.run(store.run(lambda s: [s.providers.create(c) for c in configs]))


def message_box(parent: QWidget, object_name: str, qtbot) -> QMessageBox:
    found: list[QMessageBox] = []

    def visible() -> bool:
        found[:] = [box for box in parent.findChildren(QMessageBox, object_name)
                    if box.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=WAIT_MS)
    return found[0]


def click_box_button(box: QMessageBox, text: str) -> None:
    buttons: list[QAbstractButton] = [b for b in box.buttons()
                                      if b.text().replace("&", "") == text]
    assert buttons, [b.text() for b in box.buttons()]
    buttons[0].click()
