"""Screenshots of compare mode, light and dark (docs/screenshots/compare_*.png):
three columns — two agents and one agent on another model — answered by
scripted providers (one fails), with their metrics. The test checks what it
renders, then writes the PNGs README.md shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import settle_layout
from PySide6.QtGui import QPalette
from window_support import WAIT_MS, find, open_window

from app.domain import AgentSpec, ProviderConfig, TextDelta, Usage
from app.store import Store
from app.ui.theme import theme_manager
from tests.support.scripted_providers import ScriptedProvider, answer, refused, source

LOCAL = ProviderConfig(name="ollama", kind="ollama", base_url="http://ollama.invalid")
OTHER = ProviderConfig(name="lmstudio", kind="lmstudio", base_url="http://lms.invalid/v1")
PYTHON = ("Use `csv.DictReader`:\n\n```python\nimport csv\n\nwith open(path) as f:\n"
          "    for row in csv.DictReader(f):\n        print(row[\"name\"])\n```\n\n"
          "Each row is a dict keyed by the header.")
SHORT = ("Three options:\n\n1. `csv` from the standard library\n2. **pandas** "
         "`read_csv` for analysis\n3. `polars` for large files")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_compare_screenshot(theme: str, qapp, qtbot, aio, bridge, db_path, settings,
                            screenshot_dir: Path) -> None:
    with Store(db_path) as store:
        store.providers.create(LOCAL)
        store.providers.create(OTHER)
        store.agents.create(AgentSpec(name="Python Helper", provider="ollama",
                                      model="qwen2.5-coder:7b"))
        store.agents.create(AgentSpec(name="Researcher", provider="lmstudio",
                                      model="llama-3.2-3b-instruct"))
    providers = {
        "ollama": ScriptedProvider(LOCAL, [TextDelta(text=PYTHON[:40]), 0.02,
                                           *answer(PYTHON[40:], usage=Usage(
                                               completion_tokens=58, ttft_ms=184.0,
                                               tokens_per_s=41.7))]),
        "lmstudio": ScriptedProvider(OTHER, answer(SHORT, usage=Usage(
            completion_tokens=31, ttft_ms=95.0, tokens_per_s=63.2))),
    }
    theme_manager(qapp).apply(theme)
    window = open_window(qtbot, bridge, settings, providers=source(providers))
    window.resize(1280, 760)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    window.actions.compare_mode.trigger()
    panel = window.compare.panel
    qtbot.waitUntil(lambda: panel.columns[1].agent_combo.count() == 2, timeout=WAIT_MS)
    third = panel.add_column()
    third.model_combo.setCurrentText("lmstudio:mistral-7b-instruct")
    # The third column's model is not served: it fails, the others answer.
    providers["lmstudio"].script = answer(SHORT, usage=Usage(
        completion_tokens=31, ttft_ms=95.0, tokens_per_s=63.2))
    original = providers["lmstudio"].stream_chat

    async def by_model(request):
        if request.model == "mistral-7b-instruct":
            for event in refused("not_found", retryable=False):
                yield event
            return
        async for event in original(request):
            yield event

    providers["lmstudio"].stream_chat = by_model
    panel.edit.setPlainText("How do I read a CSV file in Python?")
    panel.send_button.click()
    qtbot.waitUntil(lambda: window.compare.session.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.compare.session.running, timeout=WAIT_MS)
    for column in panel.columns:
        settle_layout(column.view)
    assert [o.status for o in window.compare.session.outcomes] == ["complete", "complete",
                                                                    "error"]
    assert panel.columns[0].metrics.text().startswith("58 tokens · 41.7 tok/s")
    assert find(window, "comparePanel") is not None
    dark = window.palette().color(QPalette.ColorRole.Window).lightness() < 128
    assert dark == (theme == "dark")

    path = screenshot_dir / f"compare_{theme}.png"
    image = window.grab().toImage()
    assert image.width() >= 1200 and image.save(str(path))
    assert path.stat().st_size > 20_000
    window.actions.compare_mode.trigger()
    window.close()
