"""The runner's tool registry (app/core/tools/builtin.py) and real built-in tools
driven through the runner."""

from __future__ import annotations

import asyncio
import textwrap

from app.core.runner import AgentRunner, RunConfig, RunnerDeps
from app.core.tools.builtin import Toolbox, build_agent_toolbox, build_tool_registry
from app.core.tools.custom import custom_tools_folder, discover_custom_tools
from app.domain import AgentSpec, ToolResult
from app.settings import AppSettings
from app.store import AsyncStore, Store
from tests.support.runner_helpers import RoundsProvider, SlowTool, calls
from tests.support.scripted_providers import answer, config, source
from tests.support.turn_helpers import collect, messages_of, run_with_setup

LOCAL = config("local")


def test_builtin_registry_has_the_tools_and_groups():
    toolbox = build_tool_registry(AppSettings())
    assert {"calculator", "clock", "memory", "python", "web_search", "fetch_url",
            "read_file", "write_file"} <= set(toolbox.names())
    assert toolbox.expand(["files", "calculator", "read_file"]) == \
        ["list_files", "read_file", "search_files", "write_file", "calculator"]
    assert [t.name for t in toolbox.select(["web"])] == ["web_search", "fetch_url"]
    assert toolbox.get("python").policy == "ask"
    assert toolbox.get("write_file").policy == "ask"


def test_policies_by_tool_name_win_over_group_and_default():
    toolbox = Toolbox()
    quiet, loud = SlowTool("quiet", policy="auto"), SlowTool("loud", policy="ask")
    toolbox.add_group("grp", [quiet, loud])
    policies = {"grp": "deny", "loud": "auto"}
    assert toolbox.policy_for(quiet, policies) == "deny"
    assert toolbox.policy_for(loud, policies) == "auto"
    assert toolbox.policy_for(loud, {}) == "ask"


def test_tools_for_reports_unknown_names():
    toolbox = build_tool_registry(AppSettings())
    tools, problems = asyncio.run(toolbox.tools_for(["calculator", "files", "nope"]))
    assert [t.name for t in tools][:1] == ["calculator"] and len(tools) == 5
    assert problems == ["there is no tool named 'nope'"]


def test_enabled_custom_tool_file_is_loaded_as_a_group(tmp_path):
    folder = custom_tools_folder(tmp_path)
    folder.mkdir()
    (folder / "greeter.py").write_text(textwrap.dedent('''
        from app.core.tools import tool

        @tool
        def greet(name: str) -> str:
            """Greet someone.

            Args:
                name: who.
            """
            return "hello " + name
    '''))
    (folder / "unvetted.py").write_text("from app.core.tools import tool\n"
                                        "@tool\ndef sneaky() -> str:\n    return 'x'\n")
    store = Store(tmp_path / "agentdesk.db")
    try:
        discover_custom_tools(folder, store)
        store.custom_tools.set_enabled("greeter", True)
        toolbox = build_tool_registry(AppSettings(), store)
    finally:
        store.close()
    assert toolbox.get("greet") is not None and toolbox.get("sneaky") is None
    assert toolbox.expand(["greeter"]) == ["greet"]

    async def via_async_store():
        astore = await AsyncStore.open(tmp_path / "agentdesk.db")
        try:
            return await build_agent_toolbox(AppSettings(), astore)
        finally:
            await astore.close()

    assert asyncio.run(via_async_store()).get("greet") is not None


def test_real_builtin_tools_through_the_runner(tmp_path):
    """calculator runs at once; write_file asks and, with no approver, is denied."""
    provider = RoundsProvider(LOCAL, [
        calls(("m", "calculator", {"expression": "2**10 + 1"}),
              ("w", "write_file", {"path": "notes.txt", "content": "hi"})),
        answer("done")])
    agent = AgentSpec(name="a", provider="local", model="m", tools=["calculator", "files"])

    async def body(setup):
        settings = AppSettings(home=tmp_path, stream_flush_seconds=0.05)
        runner = AgentRunner(RunnerDeps(setup.store, settings,
                                        providers=source({"local": provider})),
                             RunConfig(setup.agent, setup.conversation_id, "go"))
        events = await collect(runner.events())        # builds (and closes) its toolbox
        return events, messages_of(setup.path, setup.conversation_id), setup.agent.id

    events, rows, agent_id = run_with_setup(tmp_path, agent, [LOCAL], body)
    results = {e.call_id: e for e in events if isinstance(e, ToolResult)}
    assert (results["m"].content, results["m"].is_error) == ("1025", False)
    assert results["w"].is_error and "declined" in results["w"].content
    workspace = tmp_path / "workspaces" / str(agent_id)
    assert workspace.is_dir() and not (workspace / "notes.txt").exists()
    offered = [t.name for t in provider.requests[0].tools]
    assert offered == ["calculator", "list_files", "read_file", "search_files", "write_file"]
    assert {r["status"] for r in rows if r["role"] == "tool"} == {"complete", "error"}
