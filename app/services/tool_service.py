"""Which tools an agent can be given, and the user's custom tools and MCP servers.

The window's side of app/ops/tools.py: each call schedules the named op on the
store's worker (``bridge.run(partial(op, ...))``); testing an MCP server runs
on the event loop. ``ToolEntry`` and the built-in list are the ops' own.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from app.core.tools.mcp_tools import McpTool
from app.domain.tools import CustomToolRecord, McpServerConfig
from app.ops import tools as tool_ops
from app.ops.tools import ToolEntry
from app.services.store_bridge import StoreBridge

__all__ = ["ToolEntry", "ToolService"]


class ToolService:
    def __init__(self, bridge: StoreBridge, *, log_dir: Path | None = None) -> None:
        """``log_dir``: where a tested server's error output is written."""
        self._bridge = bridge
        self._log_dir = log_dir
        self._builtins: list[ToolEntry] | None = None

    async def available(self) -> list[ToolEntry]:
        """Built-ins, then the custom tools that may run, then approved MCP servers."""
        if self._builtins is None:
            self._builtins = tool_ops.builtin_tools()
        return await self._bridge.run(partial(tool_ops.available_tools,
                                              builtins=self._builtins))

    # -- custom tools ---------------------------------------------------------------
    async def custom_tools(self) -> list[CustomToolRecord]:
        return await self._bridge.run(tool_ops.list_custom_tools)

    async def set_custom_tool_enabled(self, name: str, enabled: bool, *,
                                      expected_sha256: str | None = None
                                      ) -> CustomToolRecord:
        """Enabling approves the file's hash (only ``expected_sha256`` when given)."""
        return await self._bridge.run(partial(
            tool_ops.set_custom_tool_enabled, name=name, enabled=enabled,
            expected_sha256=expected_sha256))

    # -- MCP servers ----------------------------------------------------------------------
    async def mcp_servers(self) -> list[McpServerConfig]:
        return await self._bridge.run(tool_ops.list_servers)

    async def approve_mcp_server(self, name: str, fingerprint: str) -> McpServerConfig:
        """Approve exactly the command line the user was shown (by fingerprint)."""
        return await self._bridge.run(partial(tool_ops.approve_server, name=name,
                                              fingerprint=fingerprint))

    async def set_mcp_server_enabled(self, name: str, enabled: bool) -> McpServerConfig:
        return await self._bridge.run(partial(tool_ops.set_server_enabled, name=name,
                                              enabled=enabled))

    async def add_mcp_server(self, config: McpServerConfig) -> McpServerConfig:
        """Store a new server (unapproved, disabled); DuplicateNameError if taken."""
        return await self._bridge.run(partial(tool_ops.add_server, config=config))

    async def remove_mcp_server(self, name: str) -> None:
        await self._bridge.run(partial(tool_ops.remove_server, name=name))

    async def test_mcp_server(self, name: str) -> list[McpTool]:
        """Start the (approved, enabled) server, list its tools, stop it. Runs on
        the event loop: the window stays responsive while the server starts."""
        from app.core.tools.mcp_manager import configs_from_async_store

        return await tool_ops.server_tools(configs_from_async_store(self._bridge.store),
                                           name, log_dir=self._log_dir)
