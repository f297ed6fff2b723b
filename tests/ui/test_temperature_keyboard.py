"""The agent editor's temperature box edited from the keyboard, as a person does:
End, Backspace until empty, type the new value (issue 13, item 5)."""

from __future__ import annotations

import pytest
from dialog_helpers import WAIT_MS, host, retype, seed_providers
from PySide6.QtCore import Qt

from app.domain import AgentSpec
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.dialogs.agent_form import AgentForm

__all__ = ["host"]  # the fixture, imported for its use below


@pytest.fixture
def form(qtbot, host) -> AgentForm:
    widget = AgentForm(host)
    host.show()
    qtbot.waitExposed(host)
    widget.set_spec(AgentSpec(name="A", temperature=0.7))
    return widget


def test_end_backspace_four_times_then_typing_gives_the_typed_value(form, qtbot) -> None:
    spin = form.temperature
    assert spin.lineEdit().text() == "0.70"
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_End)
    for _ in range(4):
        qtbot.keyClick(spin, Qt.Key.Key_Backspace)
    assert spin.lineEdit().text() == ""   # each Backspace stays done
    qtbot.keyClicks(spin, "0.7")
    assert spin.lineEdit().text() == "0.7"
    assert spin.value() == pytest.approx(0.7)
    assert form.temperature_slider.value() == 70
    assert form.values()["temperature"] == pytest.approx(0.7)


def test_typing_other_values_and_the_slider_still_follow_each_other(form, qtbot) -> None:
    spin = form.temperature
    retype(qtbot, spin, "1.25")
    assert spin.value() == pytest.approx(1.25)
    assert form.temperature_slider.value() == 125
    retype(qtbot, spin, "0")          # a value the slider had: no echo either
    assert spin.lineEdit().text() == "0"
    assert form.temperature_slider.value() == 0
    form.temperature_slider.setValue(40)   # and the other way round
    assert spin.value() == pytest.approx(0.4)
    assert spin.lineEdit().text() == "0.40"


def test_a_typed_temperature_is_saved_by_the_dialog_twice(aio, async_store, bridge, host,
                                                          qtbot) -> None:
    """Edit the agent's temperature by keyboard, save, reopen, do it again."""
    seed_providers(aio, async_store)
    spec = aio.run(async_store.run(lambda s: s.agents.create(
        AgentSpec(name="Keys", provider="local", model="m", temperature=0.2))))
    for typed, expected in (("0.7", 0.7), ("1.5", 1.5)):
        dialog = AgentDialog(bridge, spec, parent=host)
        dialog.open()
        qtbot.waitUntil(lambda: dialog._loaded, timeout=WAIT_MS)
        retype(qtbot, dialog.form.temperature, typed)
        qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=WAIT_MS)
        with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT_MS) as saved:
            dialog.ok_button.click()
        spec = saved.args[0]
        assert spec.temperature == pytest.approx(expected)
        stored = aio.run(async_store.run(lambda s: s.agents.get_by_name("Keys")))
        assert stored.temperature == pytest.approx(expected)
