"""The tool registry an agent runner uses: built-in tools, groups and MCP servers.

An agent's ``tools`` list may name single tools (``calculator``, ``python``),
groups (``files`` = list/read/search/write; ``web`` = ``web_search`` +
``fetch_url``; a custom tool file's name = its tools) and MCP tools (``server__tool``, or ``mcp:server`` for every tool of a
server — see app/core/tools/mcp_manager.py). ``Toolbox.tools_for`` resolves
such a list; names that match nothing are reported, not fatal.

A policy in ``AgentSpec.tool_policies`` may name a tool or its group; the
tool's own name wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from app.core.tools.base import ApprovalPolicy, Tool, ToolRegistry
from app.core.tools.calculator import calculator_tool
from app.core.tools.clock import clock_tool
from app.core.tools.custom import load_custom_tools
from app.core.tools.files import files_tools
from app.core.tools.mcp_manager import McpManager
from app.core.tools.mcp_tools import SERVER_PREFIX, SEPARATOR
from app.core.tools.memory import memory_tool
from app.core.tools.python_exec import python_tool
from app.core.tools.web import web_tools
from app.domain.tools import CustomToolRecord
from app.settings import AppSettings
from app.store import AsyncStore, Store


class Toolbox(ToolRegistry):
    """A ToolRegistry with named groups and, optionally, MCP servers."""

    def __init__(self, mcp: McpManager | None = None) -> None:
        super().__init__()
        self.mcp = mcp
        self._groups: dict[str, list[str]] = {}

    def add_group(self, name: str, tools: Iterable[Tool]) -> None:
        """Register ``tools`` and make ``name`` stand for all of them."""
        members = []
        for tool_ in tools:
            self.register(tool_)
            members.append(tool_.name)
        self._groups[name] = members

    def define_group(self, name: str, members: Iterable[str]) -> None:
        """Make ``name`` stand for tools registered already."""
        self._groups[name] = list(members)

    def groups(self) -> dict[str, list[str]]:
        return {name: list(members) for name, members in self._groups.items()}

    def group_of(self, tool_name: str) -> str | None:
        return next((g for g, members in self._groups.items() if tool_name in members), None)

    def expand(self, names: Iterable[str]) -> list[str]:
        """``names`` with groups replaced by their members (order kept, no repeats)."""
        out: list[str] = []
        for name in names:
            for member in self._groups.get(name, [name]):
                if member not in out:
                    out.append(member)
        return out

    def select(self, names: list[str]) -> list[Tool]:
        return super().select(self.expand(names))

    def policy_for(self, tool_: Tool, policies: dict[str, ApprovalPolicy]) -> ApprovalPolicy:
        """The policy for ``tool_``: the agent's for the tool, else for its group,
        else the tool's own default."""
        if tool_.name in policies:
            return policies[tool_.name]
        group = self.group_of(tool_.name)
        if group is not None and group in policies:
            return policies[group]
        return tool_.policy

    async def tools_for(self, names: Sequence[str]) -> tuple[list[Tool], list[str]]:
        """The tools an agent's list names, and a note for each name that failed."""
        tools = self.select(list(names))
        problems: list[str] = []
        mcp_names = [n for n in names if n.startswith(SERVER_PREFIX) or SEPARATOR in n]
        if self.mcp is not None and mcp_names:
            selection = await self.mcp.tools_for(mcp_names)
            taken = {t.name for t in tools}
            tools.extend(t for t in selection.tools if t.name not in taken)
            problems.extend(selection.problems)
        found = {t.name for t in tools}
        for name in names:
            if name in self._groups or name in found or name in mcp_names:
                continue
            problems.append(f"there is no tool named {name!r}")
        return tools, problems

    async def aclose(self) -> None:
        """Stop the MCP servers this toolbox started."""
        if self.mcp is not None:
            await self.mcp.close()


def build_tool_registry(settings: AppSettings, store: Any = None, *,
                        mcp: McpManager | None = None,
                        custom_records: list[CustomToolRecord] | None = None) -> Toolbox:
    """Every built-in tool, grouped, plus the enabled custom tools.

    Custom tools: ``custom_records`` if given, else read from ``store`` when it
    is a synchronous ``Store``; only enabled files whose hash still matches are
    imported (app/core/tools/custom.py), each one a group named after its file.
    ``mcp`` serves MCP tools (``server__tool``, ``mcp:server``).
    """
    toolbox = Toolbox(mcp)
    toolbox.register(calculator_tool())
    toolbox.register(clock_tool())
    toolbox.register(memory_tool())
    toolbox.register(python_tool())
    toolbox.add_group("files", files_tools())
    toolbox.add_group("web", web_tools(settings.tools))
    if custom_records is None and isinstance(store, Store):
        custom_records = store.custom_tools.list()
    for loaded in load_custom_tools(custom_records or [], toolbox):
        if loaded.tools and toolbox.get(loaded.record.name) is None:
            toolbox.define_group(loaded.record.name, loaded.tools)
    return toolbox


async def build_agent_toolbox(settings: AppSettings, store: AsyncStore, *,
                              mcp: McpManager | None = None) -> Toolbox:
    """``build_tool_registry`` for async callers: the custom tool records come
    through the store's worker and the imports run off the event loop."""
    records = await store.run(lambda s: s.custom_tools.list())
    return await asyncio.to_thread(build_tool_registry, settings, mcp=mcp,
                                   custom_records=records)
