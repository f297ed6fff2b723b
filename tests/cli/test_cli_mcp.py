"""``agentdesk mcp ...``: add, list, show, approve (terminal / --yes / refused),
enable, disable, remove, tools (starting only an approved server)."""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Runner
from tests.core.mcp_servers.support import ECHO_SERVER, EXPECTED_TOOLS, process_alive


class _Terminal(io.StringIO):
    """A stdin that says it is a terminal and answers with ``text``."""

    def isatty(self) -> bool:
        return True


def add_echo(cli: Runner, marker: Path, name: str = "echo") -> None:
    result = cli("mcp", "add", name, "--command", sys.executable, f"--arg={ECHO_SERVER}",
                 "--arg=--marker", f"--arg={marker}", "--env", "TOKEN=env:SOME_TOKEN")
    assert result.code == 0, result.err


def test_add_list_show(cli: Runner, tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    add_echo(cli, marker)
    listed = cli("mcp", "list", "--json").json()
    assert [(s["name"], s["approved"], s["enabled"]) for s in listed] == [
        ("echo", False, False)]
    assert listed[0]["env_names"] == ["TOKEN"]

    shown = cli("mcp", "show", "echo")
    assert shown.code == 0
    expected_line = shlex.join([sys.executable, str(ECHO_SERVER), "--marker", str(marker)])
    assert expected_line in shown.out
    assert listed[0]["fingerprint"] in shown.out
    assert "TOKEN=env:SOME_TOKEN" in shown.out

    table = cli("mcp", "list")
    assert "echo" in table.out and "stdio" in table.out
    assert not marker.exists()


def test_add_http_and_invalid_input(cli: Runner) -> None:
    assert cli("mcp", "add", "remote", "--url", "http://127.0.0.1:8000/mcp").code == 0
    assert cli("mcp", "show", "remote", "--json").json()["command_line"] == (
        "http://127.0.0.1:8000/mcp")
    assert "already exists" in cli("mcp", "add", "REMOTE", "--url",
                                   "http://x.example/mcp").error_line
    assert "invalid server name" in cli("mcp", "add", "a__b", "--command", "x").error_line
    assert "http://" in cli("mcp", "add", "f", "--url", "file:///etc/passwd").error_line
    assert "KEY=VALUE" in cli("mcp", "add", "e", "--command", "x", "--env", "NOPE").error_line
    # --command and --url together are a usage error.
    assert cli("mcp", "add", "both", "--command", "x", "--url", "http://h/mcp").code == 2


def test_approve_without_terminal_or_yes_is_refused(cli: Runner, tmp_path: Path) -> None:
    add_echo(cli, tmp_path / "pid")
    refused = cli("mcp", "approve", "echo")  # pytest's stdin is not a terminal
    assert refused.code == 1
    assert "--yes" in refused.error_line.split("agentdesk: error: ")[1]
    assert cli("mcp", "show", "echo", "--json").json()["approved"] is False


def test_approve_on_a_terminal_asks(cli: Runner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    add_echo(cli, tmp_path / "pid")
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    declined = cli("mcp", "approve", "echo")
    assert declined.code == 1 and "not approved" in declined.err
    assert str(ECHO_SERVER) in declined.out  # the command line was shown first

    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    accepted = cli("mcp", "approve", "echo")
    assert accepted.code == 0, accepted.err
    state = cli("mcp", "show", "echo", "--json").json()
    assert (state["approved"], state["enabled"]) == (True, True)


def test_disable_enable_remove(cli: Runner, tmp_path: Path) -> None:
    add_echo(cli, tmp_path / "pid")
    assert "not approved" in cli("mcp", "enable", "echo").error_line
    assert cli("mcp", "approve", "echo", "--yes").code == 0
    assert cli("mcp", "disable", "echo", "--json").json()["enabled"] is False
    enabled = cli("mcp", "enable", "echo", "--json").json()
    assert (enabled["enabled"], enabled["approved"]) == (True, True)
    assert cli("mcp", "remove", "echo").code == 0
    assert cli("mcp", "list", "--json").json() == []
    assert "unknown MCP server" in cli("mcp", "show", "echo").error_line


def test_tools_starts_only_an_approved_server(cli: Runner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_TOKEN", raising=False)
    marker = tmp_path / "pid"
    add_echo(cli, marker)
    refused = cli("mcp", "tools", "echo")
    assert "not approved" in refused.error_line
    assert not marker.exists()

    assert cli("mcp", "approve", "echo", "--yes").code == 0
    cli("mcp", "disable", "echo")
    assert "disabled" in cli("mcp", "tools", "echo").error_line
    assert not marker.exists()

    cli("mcp", "enable", "echo")
    unresolved = cli("mcp", "tools", "echo")
    assert "SOME_TOKEN" in unresolved.error_line  # the env reference points at nothing
    assert not marker.exists()

    monkeypatch.setenv("SOME_TOKEN", "t0ken")
    listed = cli("mcp", "tools", "echo", "--json")
    assert listed.code == 0, listed.err
    tools = {tool["server_name"]: tool for tool in listed.json()}
    assert set(tools) == EXPECTED_TOOLS
    assert tools["add"]["name"] == "echo__add"
    assert tools["add"]["parameters"]["required"] == ["a", "b"]
    # The command stopped the server it started.
    assert marker.exists()
    assert not process_alive(int(marker.read_text()))
