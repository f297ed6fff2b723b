"""Screenshots of a workflow run in the chat view and of the Workflows dialog,
light and dark (docs/screenshots/workflow-*.png via scripts/screenshots.sh):
a parallel run (two agents, then the synthesis agent), each step under its
agent with its model and usage."""

from __future__ import annotations

from pathlib import Path

import pytest
from layout_support import picture

from app.domain import Usage
from app.ui.theme import theme_manager
from tests.support.scripted_providers import answer, source
from tests.support.workflow_helpers import Cast
from tests.ui.window_support import open_window
from tests.ui.workflow_support import fill, open_dialog, run_from_dialog, seed, speakers

WAIT_MS = 5000


def panel_cast() -> Cast:
    cast = Cast()
    usage = Usage(prompt_tokens=40, completion_tokens=38, ttft_ms=180.0, tokens_per_s=52.3)
    cast.add("Optimist", answer("SQLite is **enough** here: one file, WAL mode, and a "
                                "single writer keep it simple and fast.", usage=usage))
    cast.add("Skeptic", answer("SQLite works until many processes write at once; then "
                               "*PostgreSQL* is the safer choice.", usage=usage))
    cast.add("Synthesizer", answer(
        "**Agree:** both call SQLite a good fit for one local user.\n\n"
        "**Differ:** Skeptic warns about concurrent writers; Optimist expects a single "
        "writer. For a desktop app, SQLite.", usage=usage))
    return cast


def mean_lightness(image) -> float:
    values = [image.pixelColor(x, y).lightness()
              for x in range(0, image.width(), 9) for y in range(0, image.height(), 9)]
    return sum(values) / len(values)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_workflow_screenshots(scheme, aio, qtbot, bridge, settings, db_path,
                              screenshot_dir: Path) -> None:
    cast = panel_cast()
    seed(db_path, [p.config for p in cast.providers.values()], cast.agents)
    window = open_window(qtbot, bridge, settings)
    window.resize(1180, 760)
    window.workflow_runs.providers = source(cast.providers)
    theme_manager().apply(scheme, settings.ui.font_size)
    dialog = open_dialog(qtbot, window)
    fill(dialog, "Database advice", "parallel", ["Optimist", "Skeptic"],
         synthesis="Synthesizer")
    dialog.description_edit.setText("Two views, then one merged answer")
    aio.run(dialog.save())
    dialog.question_edit.setText("Is SQLite enough for a desktop app?")
    shot = picture(dialog)
    assert shot.save(str(screenshot_dir / f"workflow-dialog-{scheme}.png"))
    finished: list = []
    window.workflow_runs.sig_finished.connect(lambda cid, end: finished.append(end))
    run_from_dialog(qtbot, window, dialog, "Is SQLite enough for a desktop app?")
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.controller.loading
                    and len(window.chat_view.message_ids()) == 5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.chat_view.is_drawing(), timeout=WAIT_MS)
    shown = speakers(window)
    assert shown[0] == "You" and shown[-1] == "Synthesizer · step 3"
    assert "Answers for Synthesizer" in shown
    image = picture(window)
    assert image.save(str(screenshot_dir / f"workflow-run-{scheme}.png"))
    dark = mean_lightness(image) < 110
    assert dark == (scheme == "dark")
    theme_manager().apply("light", settings.ui.font_size)
