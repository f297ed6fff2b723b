"""The agent editor's Knowledge tab on a real store: add a folder, index it in
the background (progress, pause/resume, stop), per-file errors for hostile
files, settings saved at once, a CLI-side change shown while open — and one
whole session of it (close and reopen, both themes)."""

from __future__ import annotations


import pytest
from dialog_helpers import WAIT_MS, host, seed_providers
from PySide6.QtWidgets import QApplication

from app.domain import AgentSpec
from app.ops import knowledge as knowledge_ops
from app.services.knowledge_service import KnowledgeService
from app.store import Store
from app.ui.dialogs.agent_dialog import AgentDialog
from app.ui.theme import ThemeManager
from tests.support.knowledge_files import hostile_folder, markdown_notes

__all__ = ["host"]


@pytest.fixture
def agent(aio, async_store) -> AgentSpec:
    seed_providers(aio, async_store)
    return aio.run(async_store.run(lambda s: s.agents.create(AgentSpec(
        name="Librarian", provider="local", model="m"))))


@pytest.fixture
def open_dialog(qtbot, bridge, host):
    def opener(spec=None) -> AgentDialog:
        dialog = AgentDialog(bridge, spec, parent=host)
        dialog.resize(760, 640)
        dialog.open()
        qtbot.waitUntil(lambda: dialog._loaded and not dialog.busy, timeout=WAIT_MS)
        dialog.tabs.setCurrentWidget(dialog.knowledge)
        assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Knowledge"
        return dialog
    return opener


def test_whole_session_add_index_pause_stop_reopen_and_themes(
        aio, async_store, agent, open_dialog, qtbot, qapp, tmp_path, db_path) -> None:
    kb = tmp_path / "kb"
    hostile_folder(kb)
    dialog = open_dialog(agent)
    page = dialog.knowledge
    assert not page.reindex.isEnabled() and not page.pause.isEnabled()

    # Add the folder as the folder picker would: indexing starts by itself.
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT_MS):
        page.add_paths([str(kb)])
    service = KnowledgeService.for_bridge(dialog._bridge)
    qtbot.waitUntil(lambda: not service.running(agent.id) and page.sources.count() == 1
                    and "Up to date" in page.status.text(), timeout=WAIT_MS * 4)
    assert "Up to date" in page.status.text()
    qtbot.waitUntil(lambda: page.errors.count() >= 5, timeout=WAIT_MS)
    errors = [page.errors.item(i).text() for i in range(page.errors.count())]
    assert any("binary.txt — a binary file, not text" in e for e in errors)
    assert any("huge.pdf — too large" in e for e in errors)
    assert any("bomb.docx" in e and "zip bomb" in e for e in errors)
    assert "not indexed" in page.sources.item(0).text()

    # Settings are saved at once.
    page.retrieval.setCurrentIndex(page.retrieval.findData("tool"))
    qtbot.waitUntil(lambda: aio.run(async_store.run(
        lambda s: s.knowledge.settings(agent.id))).retrieval == "tool", timeout=WAIT_MS)

    # A bigger folder: pause holds the run, resume finishes it.
    aio.run(service.add_source(agent.id, str(markdown_notes(tmp_path / "many", 150, "note"))))
    page.start_indexing()
    page.pause.click()                       # before the run reads its first file
    qtbot.waitUntil(lambda: service.progress(agent.id).state == "paused", timeout=WAIT_MS)
    done = service.progress(agent.id).done
    assert page.pause.text() == "&Resume" and page.status.text().startswith("Paused")
    qtbot.wait(200)
    assert service.progress(agent.id).done == done and service.running(agent.id)
    page.pause.click()
    qtbot.waitUntil(lambda: not service.running(agent.id), timeout=WAIT_MS * 6)
    assert service.progress(agent.id).state == "finished"
    assert service.progress(agent.id).indexed == 150

    # Stop a run half-way: what was stored stays.
    for path in (tmp_path / "many").iterdir():
        path.write_text(path.read_text() + "\nchanged\n")
    page.reindex.click()
    assert page.cancel.isEnabled()
    page.cancel.click()
    qtbot.waitUntil(lambda: not service.running(agent.id), timeout=WAIT_MS * 4)
    assert service.progress(agent.id).state == "cancelled"
    assert page.status.text().startswith("Stopped")

    # The CLI adds a source while the window is open: the tab shows it.
    dialog.close()
    dialog = open_dialog(agent)
    page = dialog.knowledge
    qtbot.waitUntil(lambda: page.sources.count() == 2, timeout=WAIT_MS)
    extra = tmp_path / "extra.md"
    extra.write_text("# Extra\n\nfrom the command line")
    with Store(db_path, recover=False) as cli_store:
        knowledge_ops.add_source(cli_store, agent.id, str(extra))
    qtbot.waitUntil(lambda: page.sources.count() == 3, timeout=WAIT_MS * 2)
    assert page.retrieval.currentData() == "tool"

    # Remove one; both themes draw the tab.
    page.sources.setCurrentRow(2)
    page.remove.click()
    qtbot.waitUntil(lambda: page.sources.count() == 2, timeout=WAIT_MS)
    for scheme in ("dark", "light"):
        ThemeManager(qapp).apply(scheme, 10)
        QApplication.processEvents()
        assert not dialog.grab().toImage().isNull()
    dialog.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot(aio, async_store, agent, open_dialog, qtbot, qapp, tmp_path,
                    screenshot_dir, scheme) -> None:
    hostile_folder(tmp_path / "kb")
    ThemeManager(qapp).apply(scheme, 10)
    QApplication.processEvents()
    dialog = open_dialog(agent)
    page = dialog.knowledge
    page.add_paths([str(tmp_path / "kb")])
    service = KnowledgeService.for_bridge(dialog._bridge)
    qtbot.waitUntil(lambda: page.sources.count() == 1 and not service.running(agent.id)
                    and page.errors.count() >= 5, timeout=WAIT_MS * 4)
    image = dialog.grab().toImage()
    assert image.save(str(screenshot_dir / f"agent-dialog-knowledge-{scheme}.png"))
    dialog.close()
