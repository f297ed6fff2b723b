"""The installed Windows program has no standard streams when Explorer starts it.

PyInstaller's windowed build (console=False) runs with ``sys.stdout`` and
``sys.stderr`` set to None; a command started from a shortcut or Explorer
(``agentdesk.exe conversations import FILE``) runs that way. It must do its
work and exit 0, not fail on its first line of output. Run here as a real
process with both streams taken away before ``python -m app`` starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.store import Store
from tests.support.export_data import trip_notes_export

WITHOUT_STREAMS = (
    "import runpy, sys\n"
    "sys.stdout = None\n"
    "sys.stderr = None\n"
    "sys.argv = ['agentdesk', *sys.argv[1:]]\n"
    "runpy.run_module('app', run_name='__main__', alter_sys=True)\n"
)


def run_without_streams(*arguments: str) -> int:
    return subprocess.run([sys.executable, "-c", WITHOUT_STREAMS, *arguments],
                          capture_output=True, timeout=120).returncode


def test_an_import_started_from_explorer_does_its_work_and_exits_0(tmp_path: Path) -> None:
    target = tmp_path / "target"
    exported = trip_notes_export(tmp_path)

    assert run_without_streams("--home", str(target), "conversations", "import",
                               str(exported)) == 0
    with Store(target / "agentdesk.db") as store:
        assert [c.title for c in store.conversations.list()] == ["Trip notes"]


def test_a_failing_command_still_exits_non_zero(tmp_path: Path) -> None:
    assert run_without_streams("--home", str(tmp_path), "conversations", "show", "999") == 1
    assert run_without_streams("--home", str(tmp_path), "--version") == 0
