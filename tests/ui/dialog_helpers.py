"""Helpers shared by the dialog tests (imported as a plain module)."""

from __future__ import annotations

import socket

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QFileDialog, QMessageBox, QWidget

from app.domain import ProviderConfig
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.export_all import PICKER_NAME
from app.ui.open_dialogs import alive

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


def visible_dialogs(window: QWidget, cls: type[QWidget]) -> list[QWidget]:
    """The live, visible dialogs of ``cls`` over ``window``."""
    return [d for d in window.findChildren(cls) if alive(d) and d.isVisible()]


def wait_open(window: QWidget, cls: type[QWidget], qtbot) -> QWidget:
    """The one open dialog of ``cls`` (an AgentDialog: once it has loaded)."""
    qtbot.waitUntil(lambda: len(visible_dialogs(window, cls)) == 1, timeout=WAIT_MS)
    dialog = visible_dialogs(window, cls)[0]
    if isinstance(dialog, AgentDialog):
        qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
    return dialog


def wait_gone(dialog: QWidget, qtbot) -> None:
    """Closed and deleted (WA_DeleteOnClose) — the state that broke reopening."""
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=WAIT_MS)


def set_name(dialog: AgentDialog, qtbot, name: str) -> None:
    """Type the agent's name over the old one; wait for its uniqueness check."""
    dialog.form.name.selectAll()
    qtbot.keyClicks(dialog.form.name, name)
    qtbot.waitUntil(dialog.name_checked, timeout=WAIT_MS)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)


def retype(qtbot, spin: QAbstractSpinBox, text: str) -> None:
    """End, Backspace once per character shown, then type ``text``."""
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_End)
    for _ in range(len(spin.lineEdit().text())):
        qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    qtbot.keyClicks(spin, text)


def picker_of(parent: QWidget, qtbot, name: str = PICKER_NAME) -> QFileDialog:
    """The visible file picker ``name`` over ``parent`` (the export picker by default)."""
    found: list[QFileDialog] = []

    def visible() -> bool:
        found[:] = [d for d in parent.findChildren(QFileDialog, name) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=WAIT_MS)
    return found[0]
