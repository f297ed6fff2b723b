"""A usage error names the command given (issue 13, item 10): its own usage,
then one error line pointing at its own --help — also for arguments the
command does not know, which argparse reports from the top level."""

from __future__ import annotations

import pytest


def _usage_and_error(result) -> tuple[str, str]:
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("usage: ")
    assert "Traceback" not in result.err
    return "\n".join(lines[:-1]), lines[-1]


@pytest.mark.parametrize("argv, command", [
    (["agents", "create", "--name", "A"], "agentdesk agents create"),
    (["agents", "create", "--name", "A", "--provider", "p", "--model", "m", "--bogus"],
     "agentdesk agents create"),
    (["agents", "list", "extra"], "agentdesk agents list"),
    (["conversations", "list", "--limit", "many"], "agentdesk conversations list"),
    (["chat"], "agentdesk chat"),
    (["agents"], "agentdesk agents"),
])
def test_the_command_given_reports_its_usage(cli, argv, command) -> None:
    usage, error = _usage_and_error(cli(*argv))
    assert usage.startswith(f"usage: {command} ")
    assert error.startswith("agentdesk: error: ")
    assert error.endswith(f"(see '{command} --help')")
    assert "(see 'agentdesk --help')" not in error


def test_the_missing_arguments_are_named(cli) -> None:
    _usage, error = _usage_and_error(cli("agents", "create", "--name", "A"))
    assert "the following arguments are required: --provider, --model" in error


def test_top_level_mistakes_point_at_the_top_level_help(cli) -> None:
    usage, error = _usage_and_error(cli("bogus"))
    assert usage.startswith("usage: agentdesk [")
    assert error.endswith("(see 'agentdesk --help')")


def test_a_good_command_after_a_usage_error_still_runs(cli, open_store) -> None:
    """The same process: the parser keeps no state from the failed parse."""
    assert cli("providers", "add", "p", "--kind", "ollama", "--bogus").code == 2
    assert cli("providers", "add", "p", "--kind", "ollama").code == 0
    listed = cli("providers", "list", "--json")
    assert listed.code == 0 and "_command_parser" not in listed.out
    assert [p["name"] for p in listed.json()] == ["p"]
