"""``agentdesk tools list|enable|disable``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

TOOL_FILE = '''
from pathlib import Path
from app.core.tools import tool

Path(__file__).with_suffix(".ran").write_text("ran")


@tool
def dice(sides: int = 6) -> int:
    """Roll a die."""
    return sides
'''


@pytest.fixture
def tool_file(home: Path) -> Path:
    folder = home / "tools"
    folder.mkdir(parents=True)
    path = folder / "dice.py"
    path.write_text(TOOL_FILE)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_list_shows_builtins_and_custom_files_without_running_them(cli, tool_file):
    result = cli("tools", "list", "--json")
    assert result.code == 0, result.err
    data = result.json()
    builtin = {t["name"]: t for t in data["builtin"]}
    assert {"web_search", "fetch_url"} <= set(builtin)
    assert builtin["fetch_url"]["group"] == "web" and builtin["fetch_url"]["risk"] == "medium"
    assert data["custom"] == [{
        "id": data["custom"][0]["id"], "name": "dice", "path": str(tool_file),
        "sha256": sha(tool_file), "enabled": False, "approved_sha256": None,
        "state": "disabled"}]
    assert data["custom_folder"] == str(tool_file.parent)
    assert not tool_file.with_suffix(".ran").exists()

    text = cli("tools", "list")
    assert text.code == 0
    assert "fetch_url" in text.out
    [line] = [line for line in text.out.splitlines() if line.startswith("dice")]
    assert line.split()[:3] == ["dice", "disabled", sha(tool_file)[:16]]


def test_list_without_custom_tools_says_where_they_go(cli, home):
    result = cli("tools", "list")
    assert result.code == 0
    assert f"No custom tools (put Python files using @tool in {home / 'tools'})" in result.out


def test_enable_changed_file_and_disable(cli, tool_file, open_store):
    enabled = cli("tools", "enable", "dice", "--json")
    assert enabled.code == 0, enabled.err
    assert enabled.json()["state"] == "enabled"
    assert enabled.json()["approved_sha256"] == sha(tool_file)
    assert not tool_file.with_suffix(".ran").exists()  # enabling runs nothing either

    tool_file.write_text(TOOL_FILE.replace("return sides", "return 4"))
    listed = cli("tools", "list", "--json").json()["custom"][0]
    assert (listed["state"], listed["sha256"]) == ("changed", sha(tool_file))
    assert listed["approved_sha256"] != sha(tool_file)

    assert cli("tools", "enable", "dice").code == 0
    assert open_store().custom_tools.find("dice").runnable

    disabled = cli("tools", "disable", "dice")
    assert (disabled.code, disabled.out) == (0, "disabled dice\n")
    assert cli("tools", "list", "--json").json()["custom"][0]["state"] == "disabled"


def test_enable_with_a_hash_that_no_longer_matches_is_refused(cli, tool_file, open_store):
    reviewed = sha(tool_file)
    tool_file.write_text(TOOL_FILE + "\n# edited after review\n")
    result = cli("tools", "enable", "dice", "--sha256", reviewed[:12])
    assert result.code == 1
    assert f"its sha256 is now {sha(tool_file)}" in result.error_line
    assert not open_store().custom_tools.find("dice").enabled
    ok = cli("tools", "enable", "dice", "--sha256", sha(tool_file)[:12])
    assert ok.code == 0 and f"sha256 {sha(tool_file)}" in ok.out


def test_unknown_and_builtin_names_are_errors(cli, home):
    unknown = cli("tools", "enable", "nope")
    assert unknown.code == 1 and "unknown custom tool 'nope'" in unknown.error_line
    builtin = cli("tools", "disable", "fetch_url")
    assert builtin.code == 1 and "fetch_url is a built-in tool" in builtin.error_line


def test_missing_file_cannot_be_enabled(cli, tool_file):
    assert cli("tools", "list").code == 0
    tool_file.unlink()
    listed = cli("tools", "list", "--json").json()["custom"][0]
    assert listed["state"] == "missing"
    result = cli("tools", "enable", "dice")
    assert result.code == 1 and "is gone" in result.error_line
