""""Open with AgentDesk" on a JSON export, as each platform's files declare it:
every one starts the window with the file (``agentdesk PATH``, app/ui/open_files.py)."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from app.cli import split_open_paths

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "packaging" / "linux" / "agentdesk.desktop"
PLIST = ROOT / "packaging" / "macos" / "Info.plist"


def _entry() -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    return entry["Desktop Entry"]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed")
def test_the_linux_menu_entry_validates_without_hints() -> None:
    checked = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == ""


def test_the_linux_menu_entry_offers_json_files_to_the_window(tmp_path: Path) -> None:
    values = _entry()
    assert values["MimeType"] == "application/json;"
    exec_line = shlex.split(values["Exec"])
    assert exec_line == ["agentdesk", "%F"]
    # What a file manager runs for two files: the window with both to open.
    files = [str(tmp_path / "a b.json"), str(tmp_path / "c.json")]
    expanded = [word for word in exec_line[1:] if word != "%F"] + files
    assert split_open_paths(expanded) == ([], files)


def test_the_macos_bundle_opens_json_as_an_alternate_handler() -> None:
    with PLIST.open("rb") as handle:
        types = plistlib.load(handle)["CFBundleDocumentTypes"]
    assert len(types) == 1
    declared = types[0]
    assert declared["LSItemContentTypes"] == ["public.json"]
    assert declared["LSHandlerRank"] == "Alternate"       # never every .json's default
    assert declared["CFBundleTypeRole"] == "Viewer"
