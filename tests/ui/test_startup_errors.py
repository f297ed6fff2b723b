"""The window's start with data it cannot use (issue 15, item 11): a box that
says what to do, never a traceback, and the data left as it was.

The box is modal and waited for; a timer reads and closes it. Should the old
behaviour come back (a 0-byte database silently opened), the timer closes the
main window instead, so the test fails rather than hangs. Read-only data:
as root (where chmod denies nothing) ``os.access`` is denied for the data
folder, the boundary the start asks; as a normal user the folder is chmodded.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.cli import main
from app.settings import AppSettings
from app.ui.application import run_gui
from app.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def _release_log_file() -> Iterator[None]:
    yield
    root = logging.getLogger("app")
    for handler in [h for h in root.handlers if h.get_name() == "agentdesk-file"]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def boxes(qapp) -> Iterator[list[str]]:
    """Texts of the startup boxes shown (each closed with OK once read)."""
    seen: list[str] = []

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible() \
                    and widget.objectName() == "startupError":
                assert widget.textFormat().name == "PlainText"
                seen.append(widget.text())
                widget.button(QMessageBox.StandardButton.Ok).click()
            elif isinstance(widget, MainWindow) and widget.isVisible():
                widget.close()        # the old code opened the window: end it

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(50)
    yield seen
    timer.stop()


def test_a_zero_byte_database_shows_a_box_and_stays_untouched(
        settings: AppSettings, boxes, capsys) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.database_path.write_bytes(b"")
    for _ in range(2):                            # a second start: the same, file kept
        assert run_gui(settings) == 1
        assert settings.database_path.stat().st_size == 0
    assert len(boxes) == 2
    assert "0 bytes" in boxes[0] and "restore a backup" in boxes[0]
    assert "Traceback" not in capsys.readouterr().err


def test_a_settings_file_that_cannot_be_read_shows_a_box(tmp_path, boxes,
                                                         capsys) -> None:
    (tmp_path / "settings.json").mkdir()
    assert main(["--home", str(tmp_path)]) == 1
    assert len(boxes) == 1 and "settings.json" in boxes[0]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_read_only_data_folder_shows_a_box(settings: AppSettings, boxes, monkeypatch,
                                             capsys) -> None:
    home = settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        real_access = os.access

        def access(path, mode, *args, **kwargs):  # type: ignore[no-untyped-def]
            inside = Path(path).resolve() == home or home in Path(path).resolve().parents
            return False if inside and mode & os.W_OK else real_access(path, mode, *args,
                                                                       **kwargs)
        monkeypatch.setattr(os, "access", access)
        assert run_gui(settings) == 1
    else:
        mode = home.stat().st_mode
        home.chmod(mode & ~stat.S_IWUSR)
        try:
            assert run_gui(settings) == 1
        finally:
            home.chmod(mode)
    assert len(boxes) == 1 and "read-only" in boxes[0]
    assert "Traceback" not in capsys.readouterr().err
    assert not settings.database_path.exists()



