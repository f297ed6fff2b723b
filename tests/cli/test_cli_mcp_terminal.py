"""``agentdesk mcp show`` / ``approve``: a server's command line is text someone
else may have written (a pasted install line); it reaches the terminal escaped
(docs/SECURITY.md, terminal output), on stdout and on stderr (``--json``)."""

from __future__ import annotations

import sys

from tests.cli.conftest import Runner

HOSTILE_ARG = "--x=\x1b[2J\x1b]52;c;cHduZWQ=\x07\r\x9b31m\u202eevil"


def test_a_hostile_command_line_is_shown_escaped_on_stdout_and_stderr(cli: Runner) -> None:
    added = cli("mcp", "add", "odd", "--command", sys.executable, f"--arg={HOSTILE_ARG}")
    assert added.code == 0, added.err

    shown = cli("mcp", "show", "odd")
    approved = cli("mcp", "approve", "odd", "--yes", "--json")   # details on stderr
    assert shown.code == 0 and approved.code == 0, approved.err
    for text in (shown.out, approved.err):
        assert "command line" in text
        for raw in ("\x1b", "\x07", "\r", "\x9b", "\u202e"):
            assert raw not in text, repr(raw)
        assert "\\x1b[2J" in text and "\\x9b" in text and "\\u202e" in text
    # The stored command line is unchanged: only the display escapes it.
    assert HOSTILE_ARG in cli("mcp", "show", "odd", "--json").json()["command_line"]
