"""Drag a conversation out as a file; drop files in as conversations or as
message text. Offscreen: drag and drop events are sent as Qt delivers them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from window_support import WAIT_MS, open_window

from app.core.export import load_bundles, render
from app.domain import AgentSpec, Message
from app.ops import exchange
from app.store import Store
from app.ui.desktop_shell import DesktopShell
from app.ui.drag_drop import safe_filename
from app.ui.file_drop import MAX_BYTES


def seed_chat(db_path: Path, title: str = "Plans: Q3/Q4?") -> tuple[AgentSpec, int]:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Writer"))
        chat = store.conversations.create(agent.id, title)
        store.messages.add(Message(conversation_id=chat.id, role="user",
                                   content="What is **next**?"))
        store.messages.add(Message(conversation_id=chat.id, role="assistant",
                                   content="Shipping the *tray*.\n\n```py\nprint(1)\n```"))
    return agent, chat.id


@pytest.fixture
def make_shell(qtbot, bridge, settings):
    """The main window with the desktop shell (open it after seeding the store)."""
    made: list[DesktopShell] = []

    def make() -> DesktopShell:
        window = open_window(qtbot, bridge, settings)
        made.append(DesktopShell(window, bridge, window._model, settings))
        return made[-1]
    yield make
    for created in made:
        created.close()


@pytest.fixture
def shell(make_shell):
    return make_shell()


def drop_files(target: QWidget, paths: list[Path]) -> tuple[bool, bool]:
    """Drag-enter then drop ``paths`` (as a file manager would) on ``target``;
    whether each was accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(target.width() / 2, target.height() / 2)
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(point.toPoint(), actions, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(point, actions, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    return enter.isAccepted(), drop.isAccepted()


# -- drag out --------------------------------------------------------------------------------
def test_dragging_a_conversation_gives_a_markdown_file_and_text(
        qtbot, make_shell, db_path) -> None:
    agent, chat_id = seed_chat(db_path)
    shell = make_shell()
    window = shell.window
    window.select_agent(agent.id)
    model = window.conversation_model
    qtbot.waitUntil(lambda: model.row_of(chat_id) is not None, timeout=WAIT_MS)
    index = model.index(model.row_of(chat_id))
    assert model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled
    assert window.conversation_list.dragEnabled()

    mime = model.mimeData([index])

    with Store(db_path) as store:
        expected = render(load_bundles(store, [chat_id]), "md")
    urls = mime.urls()
    assert len(urls) == 1 and urls[0].isLocalFile()
    path = Path(urls[0].toLocalFile())
    assert path.name == "Plans Q3 Q4.md"        # no separators or ? in the name
    assert path.read_text(encoding="utf-8") == expected
    assert "What is **next**?" in expected and "print(1)" in expected
    assert mime.text() == expected
    assert bytes(mime.data("text/markdown").data()).decode() == expected
    assert set(model.mimeTypes()) >= {"text/uri-list", "text/plain", "text/markdown"}

    shell.close()
    assert not path.exists()                    # the run's drag files are cleaned up


def drag_report(qtbot, make_shell, db_path, fmt: str, before_drag=lambda: None):
    """Drag the chat "Report" out of a fresh window with ``fmt`` as the default
    export format; returns (the chat's id, the drag's mime data)."""
    agent, chat_id = seed_chat(db_path, "Report")
    window = make_shell().window
    window.settings.export_format = fmt
    window.select_agent(agent.id)
    model = window.conversation_model
    qtbot.waitUntil(lambda: model.row_of(chat_id) is not None, timeout=WAIT_MS)
    before_drag()
    return chat_id, model.mimeData([model.index(model.row_of(chat_id))])


def test_dragging_uses_the_default_export_format(qtbot, make_shell, db_path) -> None:
    chat_id, mime = drag_report(qtbot, make_shell, db_path, "json")

    path = Path(mime.urls()[0].toLocalFile())
    assert path.suffix == ".json"
    document = json.loads(path.read_text(encoding="utf-8"))
    with Store(db_path) as store:
        bundles = load_bundles(store, [chat_id])
    expected = json.loads(render(bundles, "json"))
    document.pop("exported_at"), expected.pop("exported_at")      # the moment differs
    assert document == expected
    assert mime.text() == render(bundles, "md")  # text fields still get Markdown
    assert "\n# Report\n" in mime.text()


def test_a_dragged_pdf_is_rendered_and_written_off_the_ui_thread(
        qtbot, make_shell, db_path, monkeypatch) -> None:
    """Qt asks for the drag's data on the UI thread; the export (PDF layout
    included) runs on the drag's writing thread, through the one atomic writer."""
    writers: list[threading.Thread] = []
    original = exchange.write_file

    def watched(path, write) -> None:
        writers.append(threading.current_thread())
        original(path, write)

    _chat_id, mime = drag_report(
        qtbot, make_shell, db_path, "pdf",
        before_drag=lambda: monkeypatch.setattr(exchange, "write_file", watched))

    path = Path(mime.urls()[0].toLocalFile())
    assert path.name == "Report.pdf" and path.read_bytes().startswith(b"%PDF")
    assert writers and all(t is not threading.main_thread() for t in writers)
    assert sorted(p.name for p in path.parent.iterdir()) == ["Report.pdf"]  # no temporary
    assert "\n# Report\n" in mime.text()


def test_safe_filename_avoids_hidden_empty_and_duplicate_names() -> None:
    taken: set[str] = set()
    assert safe_filename("../../etc/passwd", ".md", taken) == "etc passwd.md"
    assert safe_filename("...", ".md", taken) == "chat.md"
    assert safe_filename("etc passwd", ".md", taken) == "etc passwd (2).md"


# -- drop in -----------------------------------------------------------------------------------
def our_export(tmp_path: Path) -> Path:
    """A JSON export made by our exporter from another data folder."""
    _agent, chat_id = seed_chat(tmp_path / "other.db", "Exported chat")
    with Store(tmp_path / "other.db") as store:
        text = render(load_bundles(store, [chat_id]), "json")
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    return path


def chatgpt_export(tmp_path: Path) -> Path:
    """conversations.json as ChatGPT's data export documents it: a list of
    conversations whose ``mapping`` is a tree of message nodes."""
    def node(node_id, parent, children, role=None, text=None, when=None):
        message = None if role is None else {
            "id": node_id, "author": {"role": role}, "create_time": when,
            "content": {"content_type": "text", "parts": [text]}, "metadata": {}}
        return {"id": node_id, "message": message, "parent": parent, "children": children}

    conversation = {
        "title": "Trip to Lisbon", "create_time": 1_700_000_000.0,
        "update_time": 1_700_000_100.0, "current_node": "a1",
        "mapping": {
            "root": node("root", None, ["u1"]),
            "u1": node("u1", "root", ["a1"], "user", "Where should I eat?", 1_700_000_010.0),
            "a1": node("a1", "u1", [], "assistant", "Try the pastel de nata.", 1_700_000_020.0),
        },
    }
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([conversation]), encoding="utf-8")
    return path


def titles(db_path: Path) -> list[str]:
    with Store(db_path) as store:
        return sorted(c.title for c in store.conversations.list(limit=100))


def wait_report(qtbot, shell, paths: list[Path]):
    with qtbot.waitSignal(shell.drop.sig_imported, timeout=WAIT_MS) as signal:
        accepted = drop_files(shell.window, paths)
    assert accepted == (True, True)
    box = shell.drop.report_box
    assert isinstance(box, QMessageBox) and box.objectName() == "importReport"
    # Opened with open(): window-modal at most, the app keeps running.
    assert box.isVisible() and box.windowModality() != Qt.WindowModality.ApplicationModal
    return signal.args[0], box


def test_dropping_our_json_and_a_chatgpt_export_imports_them(
        qtbot, shell, db_path, tmp_path) -> None:
    summary, box = wait_report(qtbot, shell, [our_export(tmp_path), chatgpt_export(tmp_path)])

    assert sorted(summary.imported) == ["Exported chat", "Trip to Lisbon"]
    assert summary.skipped == []
    assert "Imported 2 conversations" in box.text()
    assert titles(db_path) == ["Exported chat", "Trip to Lisbon"]
    with Store(db_path) as store:
        lisbon = next(c for c in store.conversations.list(limit=10)
                      if c.title == "Trip to Lisbon")
        assert [m.content for m in store.messages.all(lisbon.id)] == [
            "Where should I eat?", "Try the pastel de nata."]


def test_dropping_the_same_file_again_is_skipped_with_the_reason(
        qtbot, shell, db_path, tmp_path) -> None:
    export = our_export(tmp_path)
    first, _box = wait_report(qtbot, shell, [export])
    assert first.imported == ["Exported chat"]
    shell.drop.report_box.close()

    second, box = wait_report(qtbot, shell, [export])

    assert second.imported == []
    assert len(second.skipped) == 1 and second.skipped[0][0] == "Exported chat"
    assert "already" in second.skipped[0][1] or "duplicate" in second.skipped[0][1]
    assert "Imported 0 conversations" in box.text() and "Skipped 1" in box.text()
    assert titles(db_path) == ["Exported chat"]               # nothing written twice


def test_a_malformed_drop_is_reported_and_writes_nothing(qtbot, shell, db_path,
                                                          tmp_path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"not": "an export"', encoding="utf-8")
    summary, box = wait_report(qtbot, shell, [bad])
    assert summary.imported == [] and summary.skipped[0][0] == "broken.json"
    assert "broken.json" in box.text()
    assert titles(db_path) == []


def test_a_drag_without_files_is_not_accepted_by_the_window(qtbot, shell) -> None:
    mime = QMimeData()
    mime.setText("no files")
    enter = QDragEnterEvent(shell.window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(shell.window, enter)
    assert not enter.isAccepted()


# -- composer ---------------------------------------------------------------------------------------
def test_a_text_file_dropped_on_the_composer_is_added_to_the_message(
        qtbot, shell, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("line one\r\nline two ✓\n", encoding="utf-8")
    edit = shell.window.composer.edit
    edit.setPlainText("Please summarise: ")
    edit.moveCursor(edit.textCursor().MoveOperation.End)

    with qtbot.waitSignal(shell.composer_drop.sig_added, timeout=WAIT_MS):
        accepted = drop_files(edit.viewport(), [notes])

    assert accepted == (True, True)
    assert "line one\nline two ✓" in edit.toPlainText()
    assert edit.toPlainText().startswith("Please summarise")


@pytest.mark.parametrize("kind", ["binary", "too_big"])
def test_binary_or_huge_files_are_refused_on_the_composer(qtbot, shell, tmp_path,
                                                          kind: str) -> None:
    # (a binary file that is not an attachment: images and PDF/Office files
    # dropped here are attached instead — tests/ui/test_composer_attachments.py)
    path = tmp_path / ("blob.bin" if kind == "binary" else "huge.txt")
    if kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)))
    else:
        path.write_bytes(b"a" * (MAX_BYTES + 1))
    edit = shell.window.composer.edit
    edit.setPlainText("keep me")

    with qtbot.waitSignal(shell.composer_drop.sig_refused, timeout=WAIT_MS) as signal:
        drop_files(edit.viewport(), [path])

    assert path.name in signal.args[0]
    assert ("binary" if kind == "binary" else "too large") in signal.args[0]
    assert edit.toPlainText() == "keep me"
    warning = shell.window.findChild(QMessageBox, "warningMessage")
    assert warning is not None and path.name in warning.text()
