"""File pickers never open the files they list (app/ui/file_dialogs.py).

Qt's own file dialog used to sniff the contents of agentdesk.db, -wal and -shm
to label them; the open()+close() dropped the window's SQLite locks (POSIX),
the next CLI command checkpointed and deleted the WAL under the running window,
and the window's later reads failed as "database disk image is malformed".
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QFileInfo, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel
from window_support import SEEN_MS, WAIT_MS, agent_names, agentdesk, send, start_app, stop_app

from app.domain import AgentSpec, Message, ProviderConfig
from app.settings import AppSettings
from app.store import Store
from app.ui.file_dialogs import NameOnlyIconProvider, file_dialog, icon_provider
from tests.support.file_locks import SHM_DMS_BYTE, hold_lock, lock_state

APP = Path(__file__).resolve().parents[2] / "app"
SQLITE_HEADER = b"SQLite format 3\x00" + bytes(84)
ALL_FILES = "All files (*)"
WAL_HEADER = bytes.fromhex("377f0682002de218") + bytes(24)


# -- the provider --------------------------------------------------------------------------
@pytest.fixture
def lookalikes(tmp_path: Path) -> list[Path]:
    """Files whose names do not settle their type (Qt's provider sniffs those)."""
    files = {"agentdesk.db": SQLITE_HEADER, "agentdesk.db-wal": WAL_HEADER,
             "agentdesk.db-shm": bytes(64), "README": b"plain words\n",
             "notes.txt": b"text\n"}
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    return paths


def test_icon_and_type_never_open_the_file(qapp, tmp_path: Path,
                                            lookalikes: list[Path]) -> None:
    held = [hold_lock(path) for path in lookalikes]
    try:
        assert {lock_state(path) for path in lookalikes} == {"held"}
        provider = NameOnlyIconProvider()
        for path in [*lookalikes, tmp_path]:
            info = QFileInfo(str(path))
            assert not provider.icon(info).isNull()
            assert provider.type(info)
        # Any open()+close() of a file would have dropped this process's lock on it.
        assert {path.name: lock_state(path) for path in lookalikes} == \
            {path.name: "held" for path in lookalikes}
    finally:
        for fd in held:
            os.close(fd)


def test_types_come_from_the_name(qapp, tmp_path: Path) -> None:
    provider = NameOnlyIconProvider()
    # A text file named .db is still called whatever .db is, never "text".
    (tmp_path / "fake.db").write_text("hello, not a database\n")
    (tmp_path / "unnamed").write_bytes(SQLITE_HEADER)
    assert provider.type(QFileInfo(str(tmp_path))) == "Folder"
    assert "text" not in provider.type(QFileInfo(str(tmp_path / "fake.db"))).lower()
    assert provider.type(QFileInfo(str(tmp_path / "unnamed"))) == "File"
    assert "text" in provider.type(QFileInfo(str(tmp_path / "notes.txt"))).lower()


def test_file_dialog_is_made_safe(qapp, qtbot) -> None:
    picker = file_dialog(None, "Pick", str(Path.home()), "All files (*)")
    qtbot.addWidget(picker)
    assert picker.iconProvider() is icon_provider()
    assert picker.testOption(QFileDialog.Option.DontUseCustomDirectoryIcons)
    assert picker.testOption(QFileDialog.Option.DontUseNativeDialog)


def test_no_module_makes_a_file_dialog_elsewhere() -> None:
    """Every picker goes through app/ui/file_dialogs.py."""
    allowed = APP / "ui" / "file_dialogs.py"
    forbidden_calls = {"QFileDialog", "QFileSystemModel", "QFileIconProvider",
                       "QAbstractFileIconProvider"}
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path == allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else None
            if isinstance(func, ast.Attribute):
                owner = func.value
                if isinstance(owner, ast.Name) and owner.id == "QFileDialog" \
                        and func.attr.startswith("get"):
                    name = f"QFileDialog.{func.attr}"
                else:
                    name = func.attr if func.attr in forbidden_calls else None
            if name and (name in forbidden_calls or name.startswith("QFileDialog.get")):
                found.append(f"{path.relative_to(APP.parent)}:{node.lineno} {name}")
    assert found == []


# -- a whole window lifetime -----------------------------------------------------------------
@pytest.fixture
def seeded(settings: AppSettings) -> int:
    with Store(settings.database_path) as store:
        store.providers.create(ProviderConfig(name="nowhere", kind="openai",
                                              base_url="http://127.0.0.1:9/v1"))
        agent = store.agents.create(AgentSpec(name="Alpha", provider="nowhere", model="m"))
        chat = store.conversations.create(agent.id, "kept chat")
        store.messages.add(Message(conversation_id=chat.id, role="user", content="hello"))
        return agent.id


def picker_named(name: str) -> QFileDialog:
    found = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QFileDialog) and w.objectName() == name and w.isVisible()]
    assert len(found) == 1, [w.objectName() for w in QApplication.topLevelWidgets()]
    return found[0]


def browse_into(qtbot, picker: QFileDialog, folder: Path) -> None:
    """What a person does: go to ``folder``, look at its files (icons and types
    drawn; with "All files" when the picker offers it), then cancel. Files the
    filter hides count too: Qt's model gathers every entry of the folder."""
    model = picker.findChild(QFileSystemModel)
    assert model is not None      # offscreen, Qt draws the dialog itself
    with qtbot.waitSignal(model.directoryLoaded, timeout=WAIT_MS):
        picker.setDirectory(str(folder))
    root = model.index(str(folder))
    if ALL_FILES in picker.nameFilters():
        picker.selectNameFilter(ALL_FILES)
        wanted = {"agentdesk.db", "agentdesk.db-wal", "agentdesk.db-shm"}
        qtbot.waitUntil(lambda: wanted <= {model.index(row, 0, root).data()
                                           for row in range(model.rowCount(root))},
                        timeout=WAIT_MS)
    for row in range(model.rowCount(root)):
        model.index(row, 0, root).data(Qt.ItemDataRole.DecorationRole)
        model.index(row, 2, root).data()          # the Type column
    picker.grab()                                 # paint the rows as shown
    qtbot.wait(300)                               # let the gatherer answer
    picker.grab()
    picker.reject()
    qtbot.waitUntil(lambda: not picker.isVisible(), timeout=WAIT_MS)


def assert_store_intact(qtbot, window, home: Path, turn: int) -> None:
    # The window's connection still holds its WAL-index lock, so the CLI that
    # just ran knew it was not alone and left -wal/-shm in place.
    assert (home / "agentdesk.db-wal").exists()
    assert lock_state(home / "agentdesk.db-shm", SHM_DMS_BYTE) == "held"
    # The window still reads what others write (stale pages would hide it)...
    name = f"Made by the CLI {turn}"
    agentdesk(home, "agents", "create", "--name", name, "--provider", "nowhere",
              "--model", "m")
    qtbot.waitUntil(lambda: name in agent_names(window), timeout=SEEN_MS)
    # ...and what it writes reaches the file other processes read.
    word = f"quokka{turn}"
    typed = f"typed after the picker: {word}"
    send(window, typed)
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None
                    and not window.controller.is_running(window.controller.conversation_id),
                    timeout=WAIT_MS)
    assert word in agentdesk(home, "search", word)


@pytest.mark.parametrize("action, picker_name", [
    ("import_chats", "importPicker"),
    ("export_all", "exportAllPicker"),
])
def test_browsing_the_data_folder_keeps_the_windows_locks(
        aio, qapp, qtbot, settings: AppSettings, seeded: int, action: str,
        picker_name: str) -> None:
    home = settings.home
    task, window = start_app(aio, qapp, qtbot, settings)
    try:
        qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
        for turn in range(2):                     # the same picker twice in one lifetime
            getattr(window.actions, action).trigger()
            browse_into(qtbot, picker_named(picker_name), home)
            agentdesk(home, "conversations", "list")   # the CLI opens and closes the db
            assert_store_intact(qtbot, window, home, turn)
    finally:
        stop_app(qtbot, task, window)
