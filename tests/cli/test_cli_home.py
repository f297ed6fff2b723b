"""Data folder routing (--home, AGENTDESK_HOME), settings, logging, database errors."""

from __future__ import annotations

import json
import sqlite3

import pytest

from app.cli import build_parser, main
from app.store import Store
from app.store.migrations import LATEST_VERSION


def _agent_names(folder) -> list[str]:
    with Store.in_folder(folder) as store:
        return [agent.name for agent in store.agents.list()]


def test_agentdesk_home_routes_to_its_folder(cli, home):
    assert cli("providers", "add", "p", "--kind", "ollama").code == 0
    assert (home / "agentdesk.db").is_file()
    assert cli("providers", "list", "--json").json()[0]["name"] == "p"


def test_home_flag_overrides_the_environment(cli, home, tmp_path):
    other = tmp_path / "elsewhere"
    assert cli("--home", str(other), "providers", "add", "p", "--kind", "ollama").code == 0
    assert cli("--home", str(other), "agents", "create", "--name", "flagged",
               "--provider", "p", "--model", "m").code == 0
    assert _agent_names(other) == ["flagged"]
    assert not (home / "agentdesk.db").exists()
    # And without the flag, the environment's folder is used again.
    assert cli("agents", "list", "--json").json() == []
    assert (home / "agentdesk.db").exists()
    assert _agent_names(other) == ["flagged"]


def test_log_file_lives_in_the_data_folder_and_honours_log_level(cli, home):
    log_file = home / "logs" / "agentdesk.log"
    assert cli("--log-level", "warning", "providers", "add", "p", "--kind", "ollama").code == 0
    assert cli("--log-level", "warning", "agents", "create", "--name", "quiet",
               "--provider", "p", "--model", "m").code == 0
    assert log_file.is_file()
    assert "agent created" not in log_file.read_text(encoding="utf-8")
    assert cli("agents", "create", "--name", "loud", "--provider", "p", "--model", "m").code == 0
    assert "agent created" in log_file.read_text(encoding="utf-8")


def test_settings_file_level_is_overridden_by_the_flag(cli, home):
    home.mkdir(parents=True)
    (home / "settings.json").write_text(json.dumps({"logging": {"level": "ERROR"}}))
    cli("providers", "add", "p", "--kind", "ollama")
    cli("agents", "create", "--name", "a", "--provider", "p", "--model", "m")
    log_file = home / "logs" / "agentdesk.log"
    assert "agent created" not in log_file.read_text(encoding="utf-8")
    cli("--log-level", "INFO", "agents", "create", "--name", "b", "--provider", "p",
        "--model", "m")
    assert "agent created" in log_file.read_text(encoding="utf-8")


def test_invalid_settings_file_is_a_one_line_error(cli, home):
    home.mkdir(parents=True)
    (home / "settings.json").write_text(json.dumps({"ui": {"font_size": 1000}}))
    result = cli("agents", "list")
    assert result.code == 1
    assert "settings" in result.error_line


def test_invalid_log_level_is_a_usage_error(cli):
    result = cli("--log-level", "LOUD", "agents", "list")
    assert result.code == 2
    assert "--log-level" in result.error_line


def test_schema_too_new_is_refused_and_the_database_left_as_is(cli, home):
    home.mkdir(parents=True)
    path = home / "agentdesk.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE future_things (note TEXT)")
        connection.execute("INSERT INTO future_things VALUES ('keep me')")
        connection.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    connection.close()
    result = cli("agents", "list")
    assert result.code == 1
    line = result.error_line
    assert str(LATEST_VERSION + 5) in line and "update AgentDesk" in line
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION + 5
        assert connection.execute("SELECT note FROM future_things").fetchall() == [("keep me",)]
        assert connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'agents'").fetchone()[0] == 0
    finally:
        connection.close()


def test_a_file_that_is_not_a_database_is_reported_and_kept(cli, home):
    home.mkdir(parents=True)
    path = home / "agentdesk.db"
    path.write_bytes(b"this is not sqlite, it is someone's notes" * 100)
    before = path.read_bytes()
    result = cli("agents", "list")
    assert result.code == 1
    assert "cannot open the database" in result.error_line
    assert path.read_bytes() == before


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("agents", "providers", "conversations", "search"):
        assert command in out
    assert "--home" in out and "--version" in out


@pytest.mark.parametrize("group, commands", [
    ("agents", ["create", "list", "show", "delete", "export", "import"]),
    ("providers", ["add", "list", "remove"]),
    ("conversations", ["list", "show", "delete"]),
])
def test_group_help_lists_its_commands(capsys, group, commands):
    assert main([group, "--help"]) == 0
    out = capsys.readouterr().out
    for command in commands:
        assert command in out


def test_every_leaf_command_accepts_json():
    parser = build_parser()
    leaves = [
        ["agents", "create", "--name", "n", "--provider", "p", "--model", "m"],
        ["agents", "list"], ["agents", "show", "x"], ["agents", "delete", "x"],
        ["agents", "export", "x"], ["agents", "import", "f"],
        ["providers", "add", "n", "--kind", "ollama"], ["providers", "list"],
        ["providers", "remove", "n"],
        ["conversations", "list"], ["conversations", "show", "1"],
        ["conversations", "delete", "1"], ["search", "q"],
    ]
    for argv in leaves:
        assert parser.parse_args([*argv, "--json"]).json is True, argv


def test_version_in_process(capsys):
    from app import __version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"agentdesk {__version__}"


def test_group_without_subcommand_is_a_usage_error(cli):
    result = cli("agents")
    assert result.code == 2
    assert result.error_line


def test_unexpected_failure_is_one_line_with_the_traceback_in_the_log(cli, home):
    """A database held locked by another writer: reported in one line, logged in full."""
    assert cli("providers", "add", "p", "--kind", "ollama").code == 0
    blocker = sqlite3.connect(home / "agentdesk.db", isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        result = cli("providers", "add", "q", "--kind", "ollama")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.code == 1
    line = result.error_line
    assert "locked" in line and "agentdesk.log" in line
    log_text = (home / "logs" / "agentdesk.log").read_text(encoding="utf-8")
    assert "Traceback" in log_text and "locked" in log_text
    assert [p["name"] for p in cli("providers", "list", "--json").json()] == ["p"]
