"""McpManager against a real stdio MCP server (tests/core/mcp_servers/echo_server.py).

The server writes its pid to a marker file when it starts, so every test can
tell whether a process was spawned, which one, and whether it is gone.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tools.base import ToolContext, execute_tool
from app.core.tools.mcp_client import McpConnectionError, McpTimeouts
from app.core.tools.mcp_manager import McpManager, McpUnavailableError, configs_from_store
from app.core.tools.mcp_tools import VALID_TOOL_NAME, exposed_name
from app.store import Store
from tests.core.mcp_servers.support import (
    child_processes,
    EXPECTED_TOOLS,
    TEST_TIMEOUTS,
    echo_config,
    marker_pid,
    process_alive,
    wait_until,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "agentdesk.db")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "server.pid"


def manager_for(store: Store, tmp_path: Path, timeouts: McpTimeouts = TEST_TIMEOUTS
                ) -> McpManager:
    return McpManager(configs_from_store(store), timeouts=timeouts, log_dir=tmp_path / "logs")


def context(tmp_path: Path) -> ToolContext:
    return ToolContext(workspace=tmp_path)


def approve(store: Store, name: str) -> None:
    store.mcp_servers.approve(name, store.mcp_servers.get_by_name(name).fingerprint)


def test_unapproved_server_is_never_started(store: Store, marker: Path, tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        with pytest.raises(McpUnavailableError, match="not approved"):
            await manager.tools("echo")
        with pytest.raises(McpUnavailableError, match="not approved"):
            await manager.call("echo", "add", {"a": 1, "b": 2})
        selection = await manager.tools_for(["echo__add", "mcp:echo"])
        assert selection.tools == []
        assert any("not approved" in problem for problem in selection.problems)
        assert manager.running() == []
        await manager.close()

    asyncio.run(scenario())
    assert not marker.exists()


def test_approved_but_disabled_server_is_not_started(store: Store, marker: Path,
                                                     tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")
    store.mcp_servers.set_enabled("echo", False)

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        with pytest.raises(McpUnavailableError, match="disabled"):
            await manager.connect("echo")
        await manager.close()

    asyncio.run(scenario())
    assert not marker.exists()


def test_approved_server_tools_and_calls(store: Store, marker: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDESK_TEST_SECRET", "app-secret-value")
    monkeypatch.setenv("MCP_TEST_TOKEN", "token-from-reference")
    store.mcp_servers.add(echo_config("echo", marker, env={
        "PLAIN": "plain-value", "TOKEN": "env:MCP_TEST_TOKEN"}))
    approve(store, "echo")
    ctx = context(tmp_path)

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            # Two uses at once start one server, not two.
            first, second = await asyncio.gather(manager.connect("echo"),
                                                 manager.connect("ECHO"))
            assert first is second
            tools = {tool.remote_name: tool for tool in await manager.tools("echo")}
            assert set(tools) == EXPECTED_TOOLS
            for tool in tools.values():
                assert VALID_TOOL_NAME.match(tool.name), tool.name
                assert tool.name.startswith("echo__")
                assert tool.policy == "ask"
            add = tools["add"]
            assert add.name == "echo__add"
            assert add.description == "Add two integers."
            assert add.parameters["properties"]["a"]["type"] == "integer"
            assert sorted(add.parameters["required"]) == ["a", "b"]
            assert tools["dotted.name"].name == "echo__dotted_name"

            # Default policy "ask": nobody to ask -> denied, the server is not called.
            denied = await execute_tool(add, {"a": 2, "b": 3}, ctx)
            assert denied.status == "denied"

            result = await execute_tool(add, {"a": 2, "b": 40}, ctx, policy="auto")
            assert (result.status, result.content) == ("ok", "42")
            echoed = await execute_tool(tools["echo"], {"text": "héllo\nworld"}, ctx,
                                        policy="auto")
            assert echoed.content == "héllo\nworld"

            failed = await execute_tool(tools["fail"], {}, ctx, policy="auto")
            assert failed.is_error and failed.status == "error"
            assert "this tool always fails" in failed.content

            picture = await execute_tool(tools["dotted.name"], {}, ctx, policy="auto")
            assert not picture.is_error
            assert "image/png" in picture.content and "not shown" in picture.content

            names = (await manager.call("echo", "env_names", {})).split(",")
            assert "AGENTDESK_TEST_SECRET" not in names
            assert {"PLAIN", "TOKEN"} <= set(names)
            assert await manager.call("echo", "getenv", {"name": "TOKEN"}) == (
                "token-from-reference")
            assert await manager.call("echo", "getenv", {"name": "PLAIN"}) == "plain-value"

            # Independent calls run concurrently over the one session.
            sums = await asyncio.gather(*(
                execute_tool(add, {"a": n, "b": n}, ctx, policy="auto") for n in range(5)))
            assert [outcome.content for outcome in sums] == [str(2 * n) for n in range(5)]

            # The session stays open: every call went to the one process.
            assert manager.running() == ["echo"]
            assert process_alive(marker_pid(marker))
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_call_timeout_is_an_error_and_the_session_survives(store: Store, marker: Path,
                                                           tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")
    timeouts = McpTimeouts(initialize=30, list_tools=15, call=0.5, stop=15)

    async def scenario() -> None:
        manager = manager_for(store, tmp_path, timeouts)
        try:
            tools = {tool.remote_name: tool for tool in await manager.tools("echo")}
            slow = await execute_tool(tools["slow"], {"seconds": 30}, context(tmp_path),
                                      policy="auto")
            assert slow.is_error and slow.status == "timeout"
            pid = marker_pid(marker)
            fast = await execute_tool(tools["add"], {"a": 1, "b": 1}, context(tmp_path),
                                      policy="auto")
            assert fast.content == "2"
            assert marker_pid(marker) == pid  # no restart was needed
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_cancelled_call_leaves_the_session_usable(store: Store, marker: Path,
                                                  tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            tools = {tool.remote_name: tool for tool in await manager.tools("echo")}
            running = asyncio.create_task(execute_tool(
                tools["slow"], {"seconds": 30}, context(tmp_path), policy="auto"))
            await asyncio.sleep(0.3)
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
            assert await manager.call("echo", "add", {"a": 3, "b": 4}) == "7"
            assert manager.running() == ["echo"]
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_disabling_a_running_server_stops_it_on_next_use(store: Store, marker: Path,
                                                         tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            assert await manager.call("echo", "echo", {"text": "hi"}) == "hi"
            pid = marker_pid(marker)
            store.mcp_servers.set_enabled("echo", False)
            with pytest.raises(McpUnavailableError, match="disabled"):
                await manager.call("echo", "echo", {"text": "hi"})
            assert manager.running() == []
            assert not process_alive(pid)
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_changed_arguments_need_approval_again(store: Store, marker: Path,
                                               tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")
    other_marker = tmp_path / "other.pid"

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            assert await manager.call("echo", "add", {"a": 1, "b": 2}) == "3"
            first_pid = marker_pid(marker)

            changed = store.mcp_servers.get_by_name("echo").model_copy(
                update={"args": echo_config("echo", other_marker).args})
            store.mcp_servers.update(changed)
            with pytest.raises(McpUnavailableError, match="changed since it was approved"):
                await manager.call("echo", "add", {"a": 1, "b": 2})
            # The server approved under the old command line was stopped too.
            assert wait_until(lambda: not process_alive(first_pid))
            assert not other_marker.exists()

            approve(store, "echo")
            assert await manager.call("echo", "add", {"a": 2, "b": 2}) == "4"
            assert other_marker.exists()
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_crashed_server_reports_an_error_then_restarts(store: Store, marker: Path,
                                                       tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            tools = {tool.remote_name: tool for tool in await manager.tools("echo")}
            first_pid = marker_pid(marker)
            os.kill(first_pid, signal.SIGKILL)
            assert await asyncio.to_thread(wait_until, lambda: not process_alive(first_pid))

            broken = await execute_tool(tools["add"], {"a": 1, "b": 2}, context(tmp_path),
                                        policy="auto")
            assert broken.is_error
            assert "stopped unexpectedly" in broken.content

            again = await execute_tool(tools["add"], {"a": 1, "b": 2}, context(tmp_path),
                                       policy="auto")
            assert (again.status, again.content) == ("ok", "3")
            second_pid = marker_pid(marker)
            assert second_pid != first_pid and process_alive(second_pid)
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_close_leaves_no_child_process(store: Store, marker: Path, tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker))
    approve(store, "echo")

    async def scenario() -> int:
        manager = manager_for(store, tmp_path)
        await manager.connect("echo")
        pid = marker_pid(marker)
        assert process_alive(pid)
        await manager.close()
        with pytest.raises(McpUnavailableError, match="shut down"):
            await manager.connect("echo")
        return pid

    before = set(child_processes())
    pid = asyncio.run(scenario())
    assert not process_alive(pid)
    assert set(child_processes()) <= before
    assert not Path(f"/proc/{pid}").exists()  # reaped, not a zombie


def test_slow_start_times_out_and_the_process_is_ended(store: Store, marker: Path,
                                                       tmp_path: Path) -> None:
    store.mcp_servers.add(echo_config("echo", marker, "--start-delay", "60"))
    approve(store, "echo")
    timeouts = McpTimeouts(initialize=3.0, list_tools=5, call=5, stop=15)

    async def scenario() -> None:
        manager = manager_for(store, tmp_path, timeouts)
        with pytest.raises(McpConnectionError, match="did not finish starting"):
            await manager.connect("echo")
        assert manager.running() == []
        await manager.close()

    asyncio.run(scenario())
    assert marker.exists()  # it did start (the pid is written before the delay) ...
    assert wait_until(lambda: not process_alive(marker_pid(marker)))  # ... and was ended
    assert marker_pid(marker) not in child_processes()


def test_missing_command_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    from app.domain.tools import McpServerConfig

    store.mcp_servers.add(McpServerConfig(name="ghost", transport="stdio",
                                          command=str(tmp_path / "no-such-program")))
    approve(store, "ghost")

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        with pytest.raises(McpConnectionError, match="did not start.*no-such-program"):
            await manager.connect("ghost")
        await manager.close()

    asyncio.run(scenario())


def test_tools_for_starts_only_the_servers_an_agent_uses(store: Store, tmp_path: Path) -> None:
    used, unused = tmp_path / "used.pid", tmp_path / "unused.pid"
    store.mcp_servers.add(echo_config("echo", used))
    store.mcp_servers.add(echo_config("other", unused))
    approve(store, "echo")
    approve(store, "other")

    async def scenario() -> None:
        manager = manager_for(store, tmp_path)
        try:
            picked = await manager.tools_for(["calculator", "echo__add", "echo__nope"])
            assert [tool.name for tool in picked.tools] == ["echo__add"]
            assert picked.problems == ["MCP server 'echo' offers no tool 'echo__nope'"]
            every = await manager.tools_for(["mcp:ECHO"])
            assert {tool.name for tool in every.tools} == {
                exposed_name("echo", name) for name in EXPECTED_TOOLS}
            assert manager.running() == ["echo"]
        finally:
            await manager.close()

    asyncio.run(scenario())
    assert used.exists()
    assert not unused.exists()
