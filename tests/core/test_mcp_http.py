"""McpManager over streamable HTTP: the echo server run by uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.tools.base import ToolContext, execute_tool
from app.core.tools.mcp_manager import McpManager, McpUnavailableError, configs_from_store
from app.domain.tools import McpServerConfig
from app.store import Store
from tests.core.mcp_servers.support import (
    EXPECTED_TOOLS,
    TEST_TIMEOUTS,
    free_port,
    start_http_echo,
)


@pytest.fixture
def http_server_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    process = start_http_echo(port, tmp_path / "http-server.log")
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "agentdesk.db")
    try:
        yield opened
    finally:
        opened.close()


def test_http_round_trip_after_approval(store: Store, http_server_url: str,
                                        tmp_path: Path) -> None:
    added = store.mcp_servers.add(McpServerConfig(name="remote", transport="http",
                                                  url=http_server_url))
    assert added.command_line == http_server_url

    async def scenario() -> None:
        manager = McpManager(configs_from_store(store), timeouts=TEST_TIMEOUTS)
        try:
            with pytest.raises(McpUnavailableError, match="not approved"):
                await manager.tools("remote")
            store.mcp_servers.approve("remote", added.fingerprint)

            tools = {tool.remote_name: tool for tool in await manager.tools("remote")}
            assert set(tools) == EXPECTED_TOOLS
            assert tools["add"].name == "remote__add"
            ctx = ToolContext(workspace=tmp_path)
            result = await execute_tool(tools["add"], {"a": 20, "b": 22}, ctx, policy="auto")
            assert (result.status, result.content) == ("ok", "42")
            failed = await execute_tool(tools["fail"], {}, ctx, policy="auto")
            assert failed.is_error and "this tool always fails" in failed.content
        finally:
            await manager.close()

    asyncio.run(scenario())


def test_changed_url_needs_approval_again(store: Store) -> None:
    http_server_url = "http://127.0.0.1:9/mcp"  # never contacted
    added = store.mcp_servers.add(McpServerConfig(name="remote", transport="http",
                                                  url=http_server_url))
    store.mcp_servers.approve("remote", added.fingerprint)
    store.mcp_servers.update(added.model_copy(update={"url": http_server_url + "/"}))

    async def scenario() -> None:
        manager = McpManager(configs_from_store(store), timeouts=TEST_TIMEOUTS)
        with pytest.raises(McpUnavailableError, match="changed since it was approved"):
            await manager.tools("remote")
        await manager.close()

    asyncio.run(scenario())
