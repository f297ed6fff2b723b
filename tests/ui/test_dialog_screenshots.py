"""Screenshots of the agent editor and the settings in light and dark, kept in
docs/screenshots/ (rendered offscreen from the real dialogs on a real store).

They are saved to the ``screenshot_dir`` fixture's folder: a temporary one, or
docs/screenshots/ when scripts/screenshots.sh runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialog_helpers import WAIT_MS, closed_port, host
from layout_support import clipping, picture
from PySide6.QtGui import QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication

from app.domain import AgentSpec, FallbackTarget, ProviderConfig
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui.theme import ThemeManager

__all__ = ["host"]

@pytest.fixture
def theme(qapp: QApplication):
    palette, font, style = QPalette(qapp.palette()), QFont(qapp.font()), qapp.style().name()
    manager = ThemeManager(qapp)
    try:
        yield manager
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setFont(font)


def mean_lightness(image: QImage) -> float:
    step = 7
    values = [image.pixelColor(x, y).lightness()
              for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(values) / len(values)


def seed(aio, store) -> AgentSpec:
    port = closed_port()

    def write(s):
        s.providers.create(ProviderConfig(name="llama.cpp", kind="llamacpp",
                                          base_url=f"http://127.0.0.1:{port}/v1"))
        s.providers.create(ProviderConfig(name="OpenAI", kind="openai",
                                          base_url="https://api.openai.com/v1",
                                          api_key_ref="keyring:provider:OpenAI",
                                          is_local=False))
        agent = s.agents.create(AgentSpec(
            name="Research Assistant", provider="llama.cpp", model="gemma3",
            system_prompt="You are a careful research assistant.\nCite every source.",
            temperature=0.3, tools=["web_search", "fetch_url", "clock"],
            tool_policies={"fetch_url": "ask"},
            fallbacks=[FallbackTarget(provider="OpenAI", model="gpt-4o-mini")]))
        return s.agents.update(agent.model_copy(update={"temperature": 0.5}))

    return aio.run(store.run(write))


def shoot(widget, folder: Path, name: str) -> QImage:
    """Save the widget as shown: after the layout requests its last text
    change posted (a plain grab() right after the model status arrived drew it
    squeezed into one line over the model combo)."""
    image = picture(widget)
    assert image.save(str(folder / name))
    return image


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dialog_screenshots(scheme, aio, async_store, bridge, settings, theme, host,
                            qtbot, screenshot_dir: Path) -> None:
    agent = seed(aio, async_store)
    theme.apply(scheme, 10)

    editor = AgentDialog(bridge, agent, parent=host)
    editor.resize(720, 640)
    editor.open()
    qtbot.waitUntil(lambda: editor._loaded and not editor.busy, timeout=WAIT_MS)
    general = shoot(editor, screenshot_dir, f"agent-dialog-{scheme}.png")
    status = editor.form.model_status
    assert "not running" in status.text()
    assert clipping(status, editor.form.model, editor.form.temperature) == []
    editor.tabs.setCurrentIndex(1)
    shoot(editor, screenshot_dir, f"agent-dialog-tools-{scheme}.png")
    editor.tabs.setCurrentWidget(editor.generation)
    shoot(editor, screenshot_dir, f"agent-dialog-generation-{scheme}.png")
    assert "hidden" in editor.generation.note.text()   # llama.cpp's settings only
    editor.reject()

    dialog = SettingsDialog(bridge, settings, theme=theme, parent=host)
    dialog.resize(820, 560)
    dialog.open()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    dialog.providers.list.setCurrentRow(0)
    settings_image = shoot(dialog, screenshot_dir, f"settings-dialog-{scheme}.png")
    dialog.reject()

    for image in (general, settings_image):
        assert image.width() >= 640 and image.height() >= 480
        lightness = mean_lightness(image)
        assert lightness < 90 if scheme == "dark" else lightness > 180
