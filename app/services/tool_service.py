"""Which tools an agent can be given, and the user's custom tools and MCP servers.

Built-in tools are read from their modules in app/core/tools (each exports
``<name>_tool()``), so the policy shown as "default" is the tool's own. A
built-in whose module is not importable (an optional dependency missing) is
still listed with the policy it is documented to have, so an agent that names
it keeps the name.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.tools.mcp_tools import McpTool
from app.domain.tools import CustomToolRecord, McpServerConfig
from app.services.store_bridge import StoreBridge

log = logging.getLogger(__name__)

Policy = Literal["auto", "ask", "deny"]

# Built-in tool name -> the policy it is documented to have (used when the
# module cannot be loaded to ask it).
BUILTIN_TOOLS: dict[str, Policy] = {
    "calculator": "auto",
    "clock": "auto",
    "files": "ask",
    "python": "ask",
    "web_search": "auto",
    "fetch_url": "auto",
    "memory": "auto",
}
MCP_SERVER_PREFIX = "mcp:"  # app.core.tools.mcp_tools.SERVER_PREFIX: every tool of a server
MCP_DEFAULT_POLICY: Policy = "ask"  # McpTool asks before each call


@dataclass(frozen=True)
class ToolEntry:
    name: str
    description: str
    source: Literal["builtin", "custom", "mcp"]
    default_policy: Policy | None  # None: the tool decides (not known here)


def _builtin_entry(name: str) -> ToolEntry:
    documented = BUILTIN_TOOLS[name]
    try:
        module = importlib.import_module(f"app.core.tools.{name}")
        made = getattr(module, f"{name}_tool")()
    except (ImportError, AttributeError, TypeError) as exc:
        log.debug("built-in tool %s not loadable here: %s", name, exc)
        return ToolEntry(name, "", "builtin", documented)
    first = made[0] if isinstance(made, (list, tuple)) else made
    description = (getattr(first, "description", "") or "").split(". ")[0]
    return ToolEntry(name, description, "builtin", getattr(first, "policy", documented))


def builtin_tools() -> list[ToolEntry]:
    return [_builtin_entry(name) for name in BUILTIN_TOOLS]


def custom_entry(record: CustomToolRecord) -> ToolEntry:
    return ToolEntry(record.name, f"custom tool ({record.path})", "custom", None)


def mcp_entry(config: McpServerConfig) -> ToolEntry:
    return ToolEntry(MCP_SERVER_PREFIX + config.name,
                     f"every tool of MCP server {config.name}", "mcp", MCP_DEFAULT_POLICY)


class ToolService:
    def __init__(self, bridge: StoreBridge, *, log_dir: Path | None = None) -> None:
        """``log_dir``: where a tested server's error output is written."""
        self._bridge = bridge
        self._log_dir = log_dir
        self._builtins: list[ToolEntry] | None = None

    async def available(self) -> list[ToolEntry]:
        """Built-ins, then the custom tools that may run, then approved MCP servers."""
        if self._builtins is None:
            self._builtins = builtin_tools()
        custom, servers = await self._bridge.run(
            lambda store: (store.custom_tools.list(), store.mcp_servers.list()))
        return [*self._builtins,
                *(custom_entry(r) for r in custom if r.runnable),
                *(mcp_entry(s) for s in servers if s.enabled and s.approved)]

    # -- custom tools ---------------------------------------------------------------
    async def custom_tools(self) -> list[CustomToolRecord]:
        return await self._bridge.run(lambda store: store.custom_tools.list())

    async def set_custom_tool_enabled(self, name: str, enabled: bool) -> CustomToolRecord:
        """Enabling approves the file's current hash."""
        return await self._bridge.run(
            lambda store: store.custom_tools.set_enabled(name, enabled))

    # -- MCP servers ----------------------------------------------------------------------
    async def mcp_servers(self) -> list[McpServerConfig]:
        return await self._bridge.run(lambda store: store.mcp_servers.list())

    async def approve_mcp_server(self, name: str, fingerprint: str) -> McpServerConfig:
        """Approve exactly the command line the user was shown (by fingerprint)."""
        return await self._bridge.run(
            lambda store: store.mcp_servers.approve(name, fingerprint))

    async def set_mcp_server_enabled(self, name: str, enabled: bool) -> McpServerConfig:
        return await self._bridge.run(
            lambda store: store.mcp_servers.set_enabled(name, enabled))

    async def add_mcp_server(self, config: McpServerConfig) -> McpServerConfig:
        """Store a new server (unapproved, disabled); DuplicateNameError if taken."""
        return await self._bridge.run(lambda store: store.mcp_servers.add(config))

    async def remove_mcp_server(self, name: str) -> None:
        await self._bridge.run(lambda store: store.mcp_servers.remove(name))

    async def test_mcp_server(self, name: str) -> list[McpTool]:
        """Start the (approved, enabled) server, list its tools, stop it. Runs on
        the event loop: the window stays responsive while the server starts."""
        from app.core.tools.mcp_admin import list_server_tools
        from app.core.tools.mcp_manager import configs_from_async_store

        return await list_server_tools(configs_from_async_store(self._bridge.store), name,
                                       log_dir=self._log_dir)
