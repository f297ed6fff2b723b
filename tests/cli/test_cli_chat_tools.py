"""``agentdesk chat`` running tools: approvals, stderr lines, NDJSON events.

The model is a scripted provider (the real server rarely calls tools unforced);
the database, the CLI and the runner are the real ones.
"""

from __future__ import annotations

import asyncio

import pytest

import app.commands.chat as chat_module
import app.core.turn_inputs as turn_inputs_module
from app.commands.tool_approval import CliApprover, Terminal
from app.core.tools.base import ApprovalRequest
from app.core.tools.builtin import Toolbox
from app.domain import parse_event
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls
from tests.support.scripted_providers import answer


@pytest.fixture
def scripted(cli, monkeypatch):
    """Provider 'fake' answering from a script; agent 'worker' with tool 'risky'
    (policy ask) in group 'grp'. Returns (provider, tool)."""
    assert cli("providers", "add", "fake", "--kind", "llamacpp", "--url",
               "http://fake.invalid/v1").code == 0
    assert cli("agents", "create", "--name", "worker", "--provider", "fake", "--model", "m",
               "--tool", "grp").code == 0
    tool = SlowTool("risky", policy="ask", result="RISKY DONE")
    provider = RoundsProvider(None, [calls(("c1", "risky", {"x": 7})), answer("finished")])

    def build_provider(config, options):
        provider.config = config
        return provider

    async def tool_registry(settings, store):
        toolbox = Toolbox()
        toolbox.add_group("grp", [tool])
        return toolbox

    monkeypatch.setattr(turn_inputs_module, "build_provider", build_provider)
    monkeypatch.setattr(chat_module, "_tool_registry", tool_registry)
    monkeypatch.setattr(chat_module, "terminal_from_stdio", lambda: None)
    return provider, tool


def tool_rows(open_store):
    store = open_store()
    [conversation] = store.conversations.list()
    return [m for m in store.messages.all(conversation.id) if m.role == "tool"]


def test_without_a_terminal_asking_tools_are_denied(cli, scripted, open_store):
    provider, tool = scripted
    result = cli("chat", "--agent", "worker", "do it")
    assert result.code == 0, result.err
    assert tool.started == []
    assert result.out == "finished\n"
    lines = result.err.splitlines()
    assert lines[0] == '[tool] risky {"x": 7}'
    assert lines[1].startswith("[tool] risky failed: ") and "declined" in lines[1]
    [row] = tool_rows(open_store)
    assert row.status == "error" and row.meta["outcome"] == "denied"
    fed_back = [m for m in provider.requests[1].messages if m.role == "tool"]
    assert fed_back[0].content == row.content


def test_approve_flag_lets_the_tool_run(cli, scripted, open_store):
    _, tool = scripted
    result = cli("chat", "--agent", "worker", "--approve", "risky", "do it")
    assert result.code == 0, result.err
    assert len(tool.started) == 1
    assert result.err.splitlines()[1] == "[tool] risky -> RISKY DONE"
    [row] = tool_rows(open_store)
    assert (row.status, row.content) == ("complete", "RISKY DONE")


def test_approve_flag_accepts_a_group_name(cli, scripted):
    _, tool = scripted
    result = cli("chat", "--agent", "worker", "--approve", "other", "--approve", "grp", "go")
    assert result.code == 0, result.err
    assert len(tool.started) == 1


def test_terminal_prompt_is_asked_and_answered(cli, scripted, monkeypatch):
    _, tool = scripted
    written: list[str] = []
    monkeypatch.setattr(chat_module, "terminal_from_stdio",
                        lambda: Terminal(lambda: "y\n", written.append))
    result = cli("chat", "--agent", "worker", "do it")
    assert result.code == 0, result.err
    assert len(tool.started) == 1
    shown, prompt = written                     # the whole call, then the question
    assert shown == "risky asks to run (risk: low):\n  x:\n    7\n"
    assert prompt.startswith("Allow risky to run risky(") and prompt.endswith("[y/N] ")


def test_terminal_answer_other_than_yes_denies(cli, scripted, monkeypatch):
    _, tool = scripted
    monkeypatch.setattr(chat_module, "terminal_from_stdio",
                        lambda: Terminal(lambda: "\n", lambda text: None))
    assert cli("chat", "--agent", "worker", "do it").code == 0
    assert tool.started == []


def test_json_output_has_tool_call_and_tool_result_events(cli, scripted):
    result = cli("chat", "--agent", "worker", "--json", "--approve", "risky", "do it")
    assert result.code == 0, result.err
    assert result.err == ""                      # no stderr lines in JSON mode
    events = [parse_event(line) for line in result.out.splitlines()[1:]]
    assert [e.type for e in events] == ["tool_call", "tool_result", "token", "done"]
    call, outcome = events[:2]
    assert (call.call_id, call.name, call.arguments) == ("c1", "risky", {"x": 7})
    assert (outcome.call_id, outcome.content, outcome.is_error) == ("c1", "RISKY DONE", False)


def test_cli_approver_rules():
    request = ApprovalRequest("fs__read", {}, "medium", "fs__read({})")
    approver = CliApprover(["mcp:fs", "calc"], None)
    assert asyncio.run(approver(request))                     # every tool of server fs
    other = ApprovalRequest("web_search", {}, "low", "web_search({})")
    assert not asyncio.run(approver(other))                   # no terminal: denied
    grouped = CliApprover(["web"], None, expand=lambda names: ["web_search", "fetch_url"])
    assert asyncio.run(grouped(other))
    answered = CliApprover([], Terminal(lambda: "YES\n", lambda text: None))
    assert asyncio.run(answered(other)) and [r.tool for r in answered.asked] == ["web_search"]
