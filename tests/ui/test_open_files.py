"""Files given to AgentDesk from outside (app/ui/open_files.py): ``agentdesk PATH``
through the real run_app, a second launch's paths handed to the running
instance's server, macOS's QFileOpenEvent, and hostile or missing paths."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from dialog_helpers import click_box_button, message_box
from PySide6.QtCore import Qt
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from window_support import WAIT_MS, chat_titles, stop_app

from app.core.export.agent_file import FORMAT
from app.settings import AppSettings
from app.store import Store
from app.ui.application import run_app
from app.ui.main_window import MainWindow
from app.ui.open_files import MAX_FILES, checked_paths, shown_name
from app.ui.single_instance import (Claim, SingleInstance, ask_running_instance,
                                    open_request, parse_open_request)
from tests.support.export_data import trip_notes_export


#: An agent file asking for tool permissions (issue 15), with a name that looks like HTML.
HOSTILE_AGENT = {"format": FORMAT, "version": 1, "agent": {
    "name": "<a href=\"https://evil.example/login\">Session expired</a>",
    "tools": ["python", "files"], "tool_policies": {"python": "auto"}}}


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return trip_notes_export(folder)


def _start(aio, qapp, qtbot, settings: AppSettings, **kwargs):
    shown: list[MainWindow] = []
    task = aio.start(run_app(settings, qapp, on_shown=shown.append, **kwargs))
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    return task, shown[0]


def _titles_in(db: Path) -> list[str]:
    with Store(db) as store:
        return sorted(c.title for a in store.agents.list()
                      for c in store.conversations.list(a.id))


def _shown_text(window: MainWindow) -> str:
    view = window.chat_view
    return "\n".join(widget.plain_text() for widget in map(view.message_widget,
                                                             view.message_ids()) if widget)


def _shows_trip_notes(window: MainWindow) -> bool:
    return ("Pack an umbrella." in _shown_text(window)
            and window.current_agent() is not None
            and window.current_agent().name == "Helper")


def test_started_with_a_file_the_window_imports_it_and_shows_the_chat(
        aio, qapp, qtbot, settings: AppSettings, export: Path) -> None:
    """A whole session: start with the export (imported, reported, shown),
    close, start again with the same file (nothing duplicated, said why)."""
    task, window = _start(aio, qapp, qtbot, settings, open_paths=[str(export)])
    report = message_box(window, "importReport", qtbot)
    assert report.textFormat() == Qt.TextFormat.PlainText
    assert "Imported 1 conversation from Trip notes.json." in report.text()
    qtbot.waitUntil(lambda: _shows_trip_notes(window), timeout=WAIT_MS)
    assert "Trip notes" in chat_titles(window)
    report.accept()
    stop_app(qtbot, task, window)
    assert _titles_in(settings.database_path).count("Trip notes") == 1

    task, window = _start(aio, qapp, qtbot, settings, open_paths=[str(export)])
    report = message_box(window, "importReport", qtbot)
    assert "Imported 0 conversations" in report.text() and "Skipped 1" in report.text()
    report.accept()
    stop_app(qtbot, task, window)
    assert _titles_in(settings.database_path).count("Trip notes") == 1


def test_a_missing_file_gives_one_message_and_the_window_stays(
        aio, qapp, qtbot, settings: AppSettings, tmp_path: Path) -> None:
    missing = tmp_path / "gone <b>bold</b>.json"
    task, window = _start(aio, qapp, qtbot, settings, open_paths=[str(missing)])
    box = message_box(window, "openRefused", qtbot)
    assert box.textFormat() == Qt.TextFormat.PlainText          # the name is shown as is
    assert box.text() == f"AgentDesk could not open {missing}: no such file."
    assert window.findChildren(type(box), "importReport") == []
    box.accept()
    assert window.isVisible()
    stop_app(qtbot, task, window)


def test_hostile_paths_are_refused_and_listed_beside_what_was_imported(
        aio, qapp, qtbot, settings: AppSettings, tmp_path: Path, export: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)                                 # reading it would hang: never opened
    given = [str(tmp_path), str(fifo), "/dev/zero", "x\0y", "a" * 5000,
             str(tmp_path / "line\nbreak.json"), str(export)]
    task, window = _start(aio, qapp, qtbot, settings, open_paths=given)
    report = message_box(window, "importReport", qtbot)
    text = report.text()
    assert "Imported 1 conversation from Trip notes.json." in text
    assert "Skipped 6:" in text
    assert f"• {tmp_path}: not a regular file" in text
    assert f"• {fifo}: not a regular file" in text
    assert "• /dev/zero: not a regular file" in text
    assert "• x?y: not a file name" in text
    assert f"• {tmp_path}/line?break.json: no such file" in text
    assert "a" * 5000 not in text                   # shortened
    qtbot.waitUntil(lambda: _shows_trip_notes(window), timeout=WAIT_MS)
    report.accept()
    stop_app(qtbot, task, window)


def test_an_agent_file_opened_asks_for_its_permissions_after_the_report(
        aio, qapp, qtbot, settings: AppSettings, tmp_path: Path) -> None:
    path = tmp_path / "shared.agent.json"
    path.write_text(json.dumps(HOSTILE_AGENT), encoding="utf-8")
    task, window = _start(aio, qapp, qtbot, settings, open_paths=[str(path)])
    report = message_box(window, "importReport", qtbot)
    assert "Imported the agent" in report.text()
    report.accept()
    box = message_box(window, "grantPermissions", qtbot)
    click_box_button(box, "Don't allow")
    with Store(settings.database_path) as store:
        imported = [a for a in store.agents.list() if a.name == HOSTILE_AGENT["agent"]["name"]]
    assert len(imported) == 1 and imported[0].tool_policies == {}
    stop_app(qtbot, task, window)


def test_a_file_open_event_imports_the_file(aio, qapp, qtbot, settings: AppSettings,
                                             export: Path) -> None:
    """macOS: Finder's "open" arrives as a QFileOpenEvent on the application."""
    task, window = _start(aio, qapp, qtbot, settings, file_open_events=True)
    QApplication.sendEvent(qapp, QFileOpenEvent(str(export)))
    report = message_box(window, "importReport", qtbot)
    assert "Imported 1 conversation" in report.text()
    qtbot.waitUntil(lambda: _shows_trip_notes(window), timeout=WAIT_MS)
    report.accept()
    stop_app(qtbot, task, window)


def test_without_the_filter_a_file_open_event_does_nothing(
        aio, qapp, qtbot, settings: AppSettings, export: Path) -> None:
    task, window = _start(aio, qapp, qtbot, settings, file_open_events=False)
    QApplication.sendEvent(qapp, QFileOpenEvent(str(export)))
    qtbot.wait(200)
    assert window.findChildren(QMessageBox, "importReport") == []
    stop_app(qtbot, task, window)
    assert "Trip notes" not in _titles_in(settings.database_path)


def test_a_second_launch_with_a_file_hands_it_to_the_running_instance(
        aio, qapp, qtbot, settings: AppSettings, export: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The running instance's server gets the path (made absolute by the
    sender), comes forward, imports the file and shows it."""
    instance = SingleInstance(settings.home)
    assert instance.claim() is Claim.PRIMARY
    try:
        task, window = _start(aio, qapp, qtbot, settings, instance=instance)
        window.hide()                                    # in the tray, say
        monkeypatch.chdir(export.parent)
        sent: list[bool] = []
        with qtbot.waitSignal(instance.sig_open_requested, timeout=WAIT_MS) as got:
            sender = threading.Thread(target=lambda: sent.append(ask_running_instance(
                instance.name, paths=[export.name])))
            sender.start()
        sender.join(timeout=10)
        assert sent == [True]
        assert got.args[0] == [str(export)]
        report = message_box(window, "importReport", qtbot)
        assert window.isVisible()                        # brought forward
        qtbot.waitUntil(lambda: _shows_trip_notes(window), timeout=WAIT_MS)
        report.accept()
        stop_app(qtbot, task, window)
    finally:
        instance.close()


def test_checked_paths_takes_existing_regular_files_once_and_bounds_the_count(
        tmp_path: Path) -> None:
    files = []
    for number in range(MAX_FILES + 5):
        path = tmp_path / f"{number}.json"
        path.write_text("{}", encoding="utf-8")
        files.append(str(path))
    accepted, refused = checked_paths([files[0], files[0], *files[1:]])
    assert len(accepted) == MAX_FILES - 1                # the duplicate counted once
    assert refused == [("6 more files", f"at most {MAX_FILES} files are opened at once")]
    assert checked_paths([]) == ([], [])
    assert checked_paths([""]) == ([], [("(empty)", "not a file name")])
    assert shown_name("a\x1b[31mb\r\n") == "a?[31mb??"
    assert len(shown_name("x" * 1000)) == 200


def test_open_requests_round_trip_and_junk_is_not_one(tmp_path: Path) -> None:
    line = open_request(["rel.json", "/abs/ünï\n.json"])
    assert line.endswith(b"\n") and line.count(b"\n") == 1   # one line, whatever the names
    assert parse_open_request(line) == [str(Path("rel.json").absolute()), "/abs/ünï\n.json"]
    for junk in (b"open {}\n", b"open [1]\n", b"open [\n", b"open \xff\n", b"show\n"):
        assert parse_open_request(junk) is None
