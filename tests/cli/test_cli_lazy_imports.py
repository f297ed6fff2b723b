"""Starting the GUI imports no command module and none of the libraries only
later work needs (docs/PERFORMANCE.md, Startup); a command still gets the full
parser."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import build_parser, main, names_no_command

# Loaded on first use, never while the window starts.
LATER = ("app.commands.agents", "app.commands.mcp", "app.core.export", "app.core.runner",
         "keyring", "docstring_parser", "click", "mcp", "openai", "secretstorage",
         "cryptography", "jsonschema", "starlette", "llama_cpp")

PROBE = """
import json, sys
from app.cli import build_parser, names_no_command
argv = ["--home", sys.argv[1]]
assert names_no_command(argv)
build_parser(commands=False).parse_args(argv)
import app.ui.application, app.ui.desktop_shell, app.ui.main_window
print(json.dumps(sorted(name for name in sys.modules)))
"""


@pytest.mark.parametrize("argv", [[], ["--home", "/x"], ["--home=/x"], ["--version"],
                                  ["--log-level", "debug", "--home", "/x"]])
def test_only_top_level_options_name_no_command(argv: list[str]) -> None:
    assert names_no_command(argv)


@pytest.mark.parametrize("argv", [["agents", "list"], ["--help"], ["-h"], ["--hom", "/x"],
                                  ["--home", "/x", "search", "q"], ["--bogus"], ["--"]])
def test_anything_else_gets_the_full_parser(argv: list[str]) -> None:
    assert not names_no_command(argv)


def test_the_gui_path_imports_none_of_the_later_modules(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(result.stdout))
    assert "app.ui.main_window" in loaded                     # the probe did import the GUI
    assert sorted(name for name in LATER if name in loaded) == []


def test_the_small_parser_accepts_what_the_gui_takes_and_refuses_the_rest(
        capsys) -> None:
    args = build_parser(commands=False).parse_args(["--home", "/x", "--log-level", "info"])
    assert (args.home, args.log_level, args.handler) == ("/x", "INFO", None)
    assert main(["--home"]) == 2                           # a missing value, as before
    assert "expected one argument" in capsys.readouterr().err


def test_commands_still_parse_with_the_full_parser(tmp_path, capsys) -> None:
    assert main(["--home", str(tmp_path), "agents", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--home", str(tmp_path), "nonsense"]) == 2
    assert "invalid choice" in capsys.readouterr().err
