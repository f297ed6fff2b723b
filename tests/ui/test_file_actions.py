"""Export and import by menu on the real window (real SQLite store): one chat or
a selection from the chat list's context menu, chats imported from a picker,
agents exported and imported (File menu and the agent list's menu), and agent
files dropped on the window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dialog_helpers import click_box_button, message_box
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QFileDialog, QMenu
from window_support import WAIT_MS, open_window

from app.core.export.agent_file import FORMAT, agent_json
from app.domain import AgentSpec, Message
from app.store import Store
from app.ops.exchange import import_files
from app.ui.desktop_shell import DesktopShell


def _seed(db_path: Path) -> tuple[AgentSpec, list[int]]:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Coder", provider="nowhere", model="m1",
                                              system_prompt="Be brief."))
        ids = []
        for title, text in (("Rust lifetimes", "what is 'a?"), ("Shell loops", "for i in"),
                            ("Third", "three")):
            chat = store.conversations.create(agent.id, title)
            store.messages.add(Message(conversation_id=chat.id, role="user", content=text))
            store.messages.add(Message(conversation_id=chat.id, role="assistant",
                                       content=f"Answer to {text}"))
            ids.append(chat.id)
    return agent, ids


@pytest.fixture
def shell(qtbot, bridge, db_path, settings):
    agent, ids = _seed(db_path)
    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.conversation_model.rowCount() == 3, timeout=WAIT_MS)
    created = DesktopShell(window, bridge, window._model, settings)
    created.seeded = (agent, ids)
    yield created
    created.close()


def _choose(picker: QFileDialog, path: Path) -> None:
    assert picker is not None and picker.isVisible()
    picker.fileSelected.emit(str(path))
    picker.close()


def _select_rows(window, rows: list[int]) -> None:
    selection = window.conversation_list.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(window.conversation_model.index(row),
                         QItemSelectionModel.SelectionFlag.Select)


def test_the_context_menu_offers_export_of_the_selection(shell, qtbot) -> None:
    window = shell.window
    _select_rows(window, [0, 2])
    list_view = window.conversation_list
    point = list_view.visualRect(window.conversation_model.index(0)).center()
    list_view.customContextMenuRequested.emit(point)
    menu = next(m for m in list_view.findChildren(QMenu, "conversationMenu") if m.isVisible())
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels[0] == "Export 2 Chats…"
    with qtbot.waitSignal(list_view.sig_export_requested) as got:
        menu.actions()[0].trigger()
    assert {c.id for c in got.args[0]} == {window.conversation_model.conversations()[r].id
                                          for r in (0, 2)}
    menu.close()


def test_one_chat_exports_as_markdown_named_after_it(shell, qtbot, tmp_path) -> None:
    window = shell.window
    chat = window.conversation_model.conversations()[0]
    picker = shell.files.export_chats([chat])
    assert Path(picker.selectedFiles()[0]).name == f"{chat.title}.md"
    target = tmp_path / "one.md"
    _choose(picker, target)
    qtbot.waitUntil(target.exists, timeout=WAIT_MS)
    text = target.read_text(encoding="utf-8")
    assert chat.title in text and "Answer to" in text
    others = [c.title for c in window.conversation_model.conversations()[1:]]
    assert all(title not in text for title in others)
    message_box(window, "infoMessage", qtbot)


def test_a_selection_exports_as_json_and_imports_back(shell, qtbot, tmp_path,
                                                      db_path) -> None:
    window = shell.window
    _select_rows(window, [0, 1])
    chosen = window.conversation_list.selected_conversations()
    assert len(chosen) == 2
    target = tmp_path / "two.json"
    _choose(shell.files.export_chats(chosen), target)
    qtbot.waitUntil(target.exists, timeout=WAIT_MS)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert {e["conversation"]["title"] for e in document["conversations"]} == \
        {c.title for c in chosen}

    # The same chats are recognised as already here; one deleted comes back.
    with Store(db_path) as store:
        contents = [m.content for m in store.messages.all(chosen[0].id)]
        store.conversations.delete(chosen[0].id)
        before = len(store.conversations.list(include_archived=True))
    with qtbot.waitSignal(shell.drop.sig_imported, timeout=WAIT_MS) as got:
        picker = shell.files.import_chats()
        picker.filesSelected.emit([str(target)])
        picker.close()
    summary = got.args[0]
    assert summary.imported == [chosen[0].title]
    assert [title for title, _why in summary.skipped] == [chosen[1].title]
    assert "already in this database" in summary.skipped[0][1]
    with Store(db_path) as store:
        after = store.conversations.list(include_archived=True)
    assert len(after) == before + 1
    restored = next(c for c in after if c.title == chosen[0].title)
    with Store(db_path) as store:
        assert [m.content for m in store.messages.all(restored.id)] == contents


def test_a_pdf_export_writes_a_pdf(shell, qtbot, tmp_path) -> None:
    chat = shell.window.conversation_model.conversations()[0]
    target = tmp_path / "chat.pdf"
    _choose(shell.files.export_chats([chat]), target)
    qtbot.waitUntil(target.exists, timeout=WAIT_MS)
    assert target.read_bytes().startswith(b"%PDF")


def test_an_unwritable_target_says_why_and_writes_nothing(shell, qtbot, tmp_path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    blocker = folder / "not-a-folder"
    blocker.write_text("a file, not a folder")
    chat = shell.window.conversation_model.conversations()[0]
    _choose(shell.files.export_chats([chat]), blocker / "chat.md")
    box = message_box(shell.window, "warningMessage", qtbot)
    assert "Nothing was exported" in box.text()
    assert blocker.read_text() == "a file, not a folder"
    assert sorted(p.name for p in folder.iterdir()) == ["not-a-folder"]


def test_an_agent_exports_and_imports_under_a_free_name(shell, qtbot, tmp_path,
                                                        db_path) -> None:
    window = shell.window
    agent, _ids = shell.seeded
    window.actions.export_agent.trigger()
    picker = shell.files.picker
    assert Path(picker.selectedFiles()[0]).name == "Coder.agent.json"
    target = tmp_path / "coder.agent.json"
    _choose(picker, target)
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == FORMAT and document["agent"]["name"] == "Coder"
    assert "id" not in document["agent"]
    message_box(window, "infoMessage", qtbot).close()

    with qtbot.waitSignal(shell.files.sig_agent_imported, timeout=WAIT_MS) as got:
        shell.files.import_agent_file(target)
    created = got.args[0]
    assert created.name == "Coder (2)" and created.id != agent.id
    assert created.system_prompt == "Be brief." and created.model == "m1"
    box = message_box(window, "infoMessage", qtbot)
    assert "nowhere" in box.text()                      # its provider is not set up here
    qtbot.waitUntil(lambda: window.current_agent() is not None
                    and window.current_agent().id == created.id, timeout=WAIT_MS)
    with Store(db_path) as store:
        assert store.agents.get(agent.id).name == "Coder"     # the original is untouched


@pytest.mark.parametrize("content, reason", [
    ("{not json", "not valid JSON"),
    (json.dumps({"format": "something.else"}), "not an AgentDesk agent file"),
    (json.dumps({"format": FORMAT, "version": 99, "agent": {}}), "newer AgentDesk"),
    (json.dumps({"format": FORMAT, "version": 1, "agent": {"name": "X",
                                                         "temperature": 9}}), "temperature"),
])
def test_a_bad_agent_file_is_refused_and_nothing_is_created(shell, qtbot, tmp_path, db_path,
                                                            content, reason) -> None:
    bad = tmp_path / "bad.agent.json"
    bad.write_text(content)
    with Store(db_path) as store:
        before = len(store.agents.list())
    assert shell.files.import_agent_file(bad) is None
    box = message_box(shell.window, "warningMessage", qtbot)
    assert reason in box.text()
    with Store(db_path) as store:
        assert len(store.agents.list()) == before


def test_an_agent_file_dropped_in_is_imported_as_an_agent(db_path, tmp_path) -> None:
    agent, _ids = _seed(db_path)
    dropped = tmp_path / "shared.json"
    dropped.write_text(agent_json(agent.model_copy(update={"name": "Shared"})))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": FORMAT, "version": 1, "agent": {"name": ""}}))
    with Store(db_path) as store:
        summary = import_files(store, [dropped, broken])
        names = [a.name for a in store.agents.list()]
    assert [a.name for a in summary.agents] == ["Shared"] and "Shared" in names
    assert summary.skipped and summary.skipped[0][0] == "broken.json"
    assert "Imported the agent “Shared”" in summary.text()


# -- an agent file asking for permissions (issue 15, item 1) ----------------------------------
HOSTILE_AGENT = {"format": FORMAT, "version": 1, "agent": {
    "name": "<a href=\"https://evil.example/login\">Session expired</a>",
    "tools": ["python", "files"],
    "tool_policies": {"python": "auto", "write_file": "auto"}, "workspace": "/home/someone"}}


def _stored(db_path: Path, agent_id: int) -> AgentSpec:
    with Store(db_path) as store:
        return store.agents.get(agent_id)


def test_an_imported_agent_gets_its_permissions_only_when_the_person_allows_them(
        shell, qtbot, tmp_path, db_path) -> None:
    """By menu, twice in one session: "Don't allow" keeps every tool asking,
    "Allow these" gives exactly the listed policies; never the folder."""
    window = shell.window
    path = tmp_path / "shared.agent.json"
    path.write_text(json.dumps(HOSTILE_AGENT), encoding="utf-8")

    for button, expected in (("Don't allow", {}),
                             ("Allow these", {"python": "auto", "write_file": "auto"})):
        with qtbot.waitSignal(shell.files.sig_agent_imported, timeout=WAIT_MS) as got:
            shell.files.import_agent_file(path)
        created = got.args[0]
        assert _stored(db_path, created.id).tool_policies == {}      # nothing before the answer
        box = message_box(window, "grantPermissions", qtbot)
        assert box.textFormat() == Qt.TextFormat.PlainText            # a name from the file
        text = box.text()
        assert "python: runs without asking (by default it asks before each use)" in text
        assert "write_file: runs without asking" in text
        assert "/home/someone" in text and "was not kept" in text
        click_box_button(box, button)
        qtbot.waitUntil(lambda: _stored(db_path, created.id).tool_policies == expected,
                        timeout=WAIT_MS)
        assert _stored(db_path, created.id).workspace is None


def test_an_agent_file_dropped_in_asks_after_the_report(shell, qtbot, tmp_path,
                                                        db_path) -> None:
    window = shell.window
    path = tmp_path / "shared.json"
    path.write_text(json.dumps(HOSTILE_AGENT), encoding="utf-8")
    with qtbot.waitSignal(shell.drop.sig_imported, timeout=WAIT_MS) as got:
        shell.drop.import_paths([path])
    created = got.args[0].agents[0]
    report = message_box(window, "importReport", qtbot)
    assert report.textFormat() == Qt.TextFormat.PlainText
    assert "/home/someone" in report.text()
    report.accept()
    box = message_box(window, "grantPermissions", qtbot)
    click_box_button(box, "Allow these")
    qtbot.waitUntil(lambda: _stored(db_path, created.id).tool_policies
                    == {"python": "auto", "write_file": "auto"}, timeout=WAIT_MS)
