"""One AgentDesk per data folder, checked with real processes (``python -m app``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from app.logs import LOG_FILENAME
from app.store import Store
from app.ui.single_instance import server_name
from tests.support.export_data import trip_notes_export

REPO = Path(__file__).resolve().parents[2]
START_S = 30.0
SECOND_S = 20.0


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "AGENTDESK_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}


def _launch(home: Path, *paths: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "app", *paths], cwd=REPO, env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _log(home: Path) -> str:
    path = home / "logs" / LOG_FILENAME
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _wait_for_log(proc: subprocess.Popen[str], home: Path, text: str, *, count: int = 1,
                  timeout: float = START_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _log(home).count(text) >= count:
            return
        if proc.poll() is not None:
            _out, err = proc.communicate()
            pytest.fail(f"the app exited early ({proc.returncode}) before logging "
                        f"{text!r}:\n{err}\n{_log(home)}")
        time.sleep(0.05)
    proc.kill()
    _out, err = proc.communicate()
    pytest.fail(f"the log never said {text!r}:\n{err}\n{_log(home)}")


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return proc.returncode, err


def _socket_file(home: Path) -> Path:
    # Qt puts a named local server in QDir::tempPath() ($TMPDIR or /tmp), as Python does.
    return Path(tempfile.gettempdir()) / server_name(home)


def test_server_name_is_per_data_folder_and_socket_safe(tmp_path: Path) -> None:
    first, second = server_name(tmp_path / "a"), server_name(tmp_path / "b")
    assert first != second
    assert server_name(tmp_path / "a" / ".." / "a") == first      # the same folder
    assert "/" not in first and len(first) < 40


@pytest.mark.slow
def test_a_second_launch_brings_the_first_forward_and_exits_0(tmp_path: Path) -> None:
    first = _launch(tmp_path)
    try:
        _wait_for_log(first, tmp_path, "window shown")
        assert _socket_file(tmp_path).exists()

        second = subprocess.run([sys.executable, "-m", "app"], cwd=REPO, env=_env(tmp_path),
                                capture_output=True, text=True, timeout=SECOND_S)

        assert second.returncode == 0, second.stderr
        _wait_for_log(first, tmp_path, "another launch asked this instance to show its window")
        _wait_for_log(first, tmp_path, "bringing the main window forward")
        text = _log(tmp_path)
        assert "another AgentDesk is running on this data folder" in text
        # The second launch never opened the database nor showed a window.
        assert text.count("store opened") == 1
        assert text.count("window shown") == 1
        assert first.poll() is None                       # the first one still runs
    finally:
        code, err = _stop(first)
    assert code == 0, err
    assert not _socket_file(tmp_path).exists()           # removed on a clean exit


@pytest.mark.slow
def test_a_stale_socket_of_a_crashed_instance_is_removed(tmp_path: Path) -> None:
    crashed = _launch(tmp_path)
    _wait_for_log(crashed, tmp_path, "window shown")
    crashed.send_signal(signal.SIGKILL)               # no chance to clean up
    crashed.communicate(timeout=15)
    assert _socket_file(tmp_path).exists()            # the stale socket is really there

    started = _launch(tmp_path)
    try:
        _wait_for_log(started, tmp_path, "window shown", count=2)
        text = _log(tmp_path)
        assert "removing a stale instance socket" in text
        assert "another AgentDesk is running" not in text
        assert started.poll() is None
    finally:
        code, err = _stop(started)
    assert code == 0, err


def _titles(home: Path) -> list[str]:
    with Store(home / "agentdesk.db") as store:
        return [c.title for a in store.agents.list() for c in store.conversations.list(a.id)]


@pytest.mark.slow
def test_a_launch_with_a_file_imports_it_and_a_second_one_hands_its_file_over(
        tmp_path: Path) -> None:
    """``agentdesk PATH`` as the file manager runs it: the first launch imports
    its file; a second launch with a file (relative to its own folder) hands
    it to the running one and exits 0; a missing file does not stop anything."""
    home, files = tmp_path / "home", tmp_path / "files"
    files.mkdir()
    export = trip_notes_export(files)
    first = _launch(home, str(export), str(files / "missing.json"))
    try:
        _wait_for_log(first, home, "import of ['Trip notes.json']: 1 imported, 1 skipped")
        assert _titles(home).count("Trip notes") == 1

        second = subprocess.run([sys.executable, "-m", "app",
                                 "--home", str(home), export.name],
                                cwd=files, env={**_env(home), "PYTHONPATH": str(REPO)},
                                capture_output=True, text=True, timeout=SECOND_S)

        assert second.returncode == 0, second.stderr
        _wait_for_log(first, home, "show its window and open 1 file(s)")
        _wait_for_log(first, home, "import of ['Trip notes.json']: 0 imported, 1 skipped",
                      count=1)
        _wait_for_log(first, home, "bringing the main window forward")
        text = _log(home)
        assert "asked it to show its window and open 1 file(s)" in text
        assert text.count("store opened") == 1
        assert _titles(home).count("Trip notes") == 1     # the same file: not twice
    finally:
        code, err = _stop(first)
    assert code == 0, err
