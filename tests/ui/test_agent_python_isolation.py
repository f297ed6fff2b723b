"""The agent dialog's "Run Python without isolation" (issue 15 item 3): turning
it on shows a warning that must be confirmed; cancelling leaves it off; it is
saved, shown again when the dialog reopens, and turned off without asking."""

from __future__ import annotations

from dialog_helpers import WAIT_MS, host, open_dialog, seed_providers
from PySide6.QtWidgets import QApplication, QMessageBox

from app.domain import AgentSpec

__all__ = ["host", "open_dialog", "seed_providers"]


def confirmation(qtbot) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets()
                    if isinstance(w, QMessageBox) and w.isVisible()
                    and w.objectName() == "confirmMessage"]
        return bool(found)

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def answer(box: QMessageBox, yes: bool) -> None:
    for button in box.buttons():
        if (box.buttonRole(button) == QMessageBox.ButtonRole.AcceptRole) is yes:
            button.click()
            return
    raise AssertionError("no such button")


def stored(aio, async_store, name: str) -> AgentSpec:
    return aio.run(async_store.run(lambda s: s.agents.find_by_name(name)))


def test_turning_it_on_asks_first_and_is_saved(aio, async_store, open_dialog, qtbot) -> None:
    spec = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Coder", provider="local", model="m", tools=["python"]))))
    dialog = open_dialog(spec)
    check = dialog.python_unisolated
    assert not check.isChecked()

    check.click()  # the person ticks it: a warning, still off until confirmed
    box = confirmation(qtbot)
    assert not check.isChecked()
    assert "with your user's rights" in box.informativeText()
    answer(box, yes=False)
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=WAIT_MS)
    assert not check.isChecked()

    check.click()
    answer(confirmation(qtbot), yes=True)
    qtbot.waitUntil(check.isChecked, timeout=WAIT_MS)
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS):
        dialog.ok_button.click()
    assert stored(aio, async_store, "Coder").python_unisolated is True

    again = open_dialog(stored(aio, async_store, "Coder"))  # reopened: still on
    assert again.python_unisolated.isChecked()
    again.python_unisolated.click()  # turning it off asks nothing
    assert not again.python_unisolated.isChecked()
    qtbot.waitUntil(again.ok_button.isEnabled, timeout=WAIT_MS)
    with qtbot.waitSignal(again.sig_saved, timeout=WAIT_MS):
        again.ok_button.click()
    assert stored(aio, async_store, "Coder").python_unisolated is False
