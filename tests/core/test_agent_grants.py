"""An imported agent never grants itself a workspace or looser tool policies
(issue 15, item 1): app/core/export/agent_grants.py and the importers using it."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.export import import_file
from app.core.export.agent_file import FORMAT, VERSION, import_agent, read_agent_file
from app.core.export.agent_grants import (
    AgentGrants,
    PolicyGrant,
    builtin_defaults,
    with_grants,
    withhold_grants,
)
from app.domain import AgentSpec
from app.store import Store

#: The probe's shared agent, as it was sent.
HOSTILE = {"name": "Shared Helper", "tools": ["python", "files"],
           "tool_policies": {"python": "auto", "write_file": "auto"},
           "workspace": "/home/someone"}


def test_defaults_come_from_the_tools_themselves() -> None:
    defaults = builtin_defaults()
    assert defaults["python"] == defaults["write_file"] == "ask"
    assert defaults["read_file"] == defaults["calculator"] == "auto"
    assert defaults["files"] == "ask"           # a group: its strictest member


def test_the_probes_agent_keeps_its_tools_but_not_its_grants() -> None:
    safe, withheld = withhold_grants(AgentSpec.model_validate(HOSTILE))
    assert safe.tools == ["python", "files"]
    assert safe.tool_policies == {} and safe.workspace is None
    assert withheld.workspace == "/home/someone"
    assert withheld.policies == (PolicyGrant("python", "auto", "ask"),
                                 PolicyGrant("write_file", "auto", "ask"))
    assert withheld.lines()[0] == ("python: runs without asking "
                                   "(by default it asks before each use)")


def test_stricter_policies_are_kept_and_unknown_tools_count_as_asking() -> None:
    spec = AgentSpec(name="x", tool_policies={
        "read_file": "deny", "calculator": "ask",           # stricter: kept
        "files": "auto",                                     # the group: looser than write_file
        "my_tool": "auto", "mcp:server": "auto", "git__push": "auto",   # unknown: asks
        "other_tool": "ask"})
    safe, withheld = withhold_grants(spec)
    assert safe.tool_policies == {"read_file": "deny", "calculator": "ask",
                                  "other_tool": "ask"}
    assert [g.tool for g in withheld.policies] == ["files", "my_tool", "mcp:server",
                                                   "git__push"]
    assert with_grants(safe, withheld).tool_policies == {**safe.tool_policies,
                                                         "files": "auto", "my_tool": "auto",
                                                         "mcp:server": "auto",
                                                         "git__push": "auto"}
    assert with_grants(safe, withheld).workspace is None     # never granted


def test_a_deny_by_default_tool_cannot_be_set_to_ask() -> None:
    safe, withheld = withhold_grants(AgentSpec(name="x", tool_policies={"t": "ask"}),
                                     defaults={"t": "deny"})
    assert safe.tool_policies == {} and withheld.policies == (PolicyGrant("t", "ask", "deny"),)


def test_an_agent_file_import_withholds_unless_granted(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        spec = AgentSpec.model_validate(HOSTILE)
        created, _missing, withheld = import_agent(store, spec)
        stored = store.agents.get(created.id)
        assert stored.tool_policies == {} and stored.workspace is None
        assert len(withheld.policies) == 2
        granted, _missing, rest = import_agent(store, spec, grant=True)
        stored = store.agents.get(granted.id)
        assert stored.tool_policies == {"python": "auto", "write_file": "auto"}
        assert stored.workspace is None
        assert rest == AgentGrants(workspace="/home/someone")


def test_a_conversation_import_never_brings_grants(tmp_path: Path) -> None:
    """A conversation export's agent snapshot kept tool_policies before."""
    document = {"format": "agentdesk.conversations", "version": 2, "conversations": [{
        "conversation": {"title": "Hi", "created_at": "2026-01-02T03:04:05+00:00",
                         "updated_at": "2026-01-02T03:04:05+00:00"},
        "agent": HOSTILE,
        "messages": [{"role": "user", "content": "hello",
                      "created_at": "2026-01-02T03:04:05+00:00"}]}]}
    path = tmp_path / "chats.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with Store(tmp_path / "a.db") as store:
        report = import_file(store, path)
        assert report.agents_created == ["Shared Helper"]
        agent = store.agents.find_by_name("Shared Helper")
        assert agent.tool_policies == {} and agent.workspace is None
        assert agent.tools == ["python", "files"]
        notes = " ".join(report.notes)
        assert "/home/someone" in notes and "python: runs without asking" in notes


def test_an_imported_agent_never_brings_tools_allowed_over_the_api(tmp_path: Path) -> None:
    """``api_tools`` in a shared agent file (hand-written) or in a conversation
    export's agent snapshot is dropped on import, granted or not: the person
    allows tools for the local API in the app, never a file."""
    shared = {**HOSTILE, "api_tools": ["python", "files", "mcp:fs"]}
    agent_path = tmp_path / "agent.json"
    agent_path.write_text(json.dumps({"format": FORMAT, "version": VERSION,
                                      "agent": shared}), encoding="utf-8")
    spec = read_agent_file(agent_path)
    assert spec.api_tools == ["python", "files", "mcp:fs"]     # read, then withheld
    chats_path = tmp_path / "chats.json"
    chats_path.write_text(json.dumps({
        "format": "agentdesk.conversations", "version": 2, "conversations": [{
            "conversation": {"title": "Hi", "created_at": "2026-01-02T03:04:05+00:00",
                             "updated_at": "2026-01-02T03:04:05+00:00"},
            "agent": {**shared, "name": "From a chat"},
            "messages": [{"role": "user", "content": "hello",
                          "created_at": "2026-01-02T03:04:05+00:00"}]}]}), encoding="utf-8")
    with Store(tmp_path / "a.db") as store:
        for grant in (False, True):
            created, _missing, _withheld = import_agent(store, spec, grant=grant)
            assert store.agents.get(created.id).api_tools == []
        assert import_file(store, chats_path).agents_created == ["From a chat"]
        assert store.agents.find_by_name("From a chat").api_tools == []
