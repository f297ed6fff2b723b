"""Tools: what an agent can be given, custom tool files, MCP servers.

- ``available_tools``: built-ins, then the custom tools that may run, then the
  approved, enabled MCP servers (one entry each: every tool of the server).
- Custom tools (Python files in ``<data folder>/tools``): list (after hashing
  the folder's files, never running them), find, enable (approves the file's
  current sha256 — optionally only if it is still the hash the person
  reviewed), disable. A file that is gone cannot be enabled.
- MCP servers: list, get, add (unapproved, disabled), approve exactly the
  command line that was shown (by fingerprint), enable (only an approved one)
  or disable, remove, and ``server_tools``: start one, list its tools, stop it.

The rules are the same for Settings › Tools & MCP and ``agentdesk tools`` /
``agentdesk mcp``; those keep only their input and output.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.core.tools.custom import discover_custom_tools
from app.domain.tools import CustomToolRecord, McpServerConfig
from app.store import NotFoundError, Store

if TYPE_CHECKING:        # the MCP client code loads when a server is first tested
    from app.core.tools.mcp_manager import ConfigLoader
    from app.core.tools.mcp_tools import McpTool

log = logging.getLogger(__name__)

Policy = Literal["auto", "ask", "deny"]
CustomToolState = Literal["enabled", "disabled", "changed", "missing"]

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
#: The shortest prefix of a sha256 accepted as "the hash I reviewed".
MIN_HASH_PREFIX = 8


class ToolRefused(ValueError):
    """A tool or server change is not allowed as asked (one line, for a person)."""


class CustomToolChanged(ToolRefused):
    """The file's hash is not the one the person reviewed."""

    def __init__(self, record: CustomToolRecord) -> None:
        super().__init__(f"{record.path} changed: its sha256 is now {record.sha256}, "
                         "not the one given; review it again")
        self.record = record


class CustomToolMissing(ToolRefused):
    def __init__(self, record: CustomToolRecord) -> None:
        super().__init__(f"the file of custom tool {record.name!r} is gone: {record.path}")
        self.record = record


class HashPrefixTooShort(ToolRefused):
    def __init__(self) -> None:
        super().__init__(f"the expected sha256 needs at least {MIN_HASH_PREFIX} "
                         "characters of the hash")


class McpServerNotApproved(ToolRefused):
    def __init__(self, config: McpServerConfig) -> None:
        super().__init__(f"MCP server {config.name!r} is not approved (or changed since)")
        self.config = config


# -- what an agent can be given ----------------------------------------------------------------
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
    """The built-ins as their modules describe them (imports them: cache the result)."""
    return [_builtin_entry(name) for name in BUILTIN_TOOLS]


def custom_entry(record: CustomToolRecord) -> ToolEntry:
    return ToolEntry(record.name, f"custom tool ({record.path})", "custom", None)


def mcp_entry(config: McpServerConfig) -> ToolEntry:
    return ToolEntry(MCP_SERVER_PREFIX + config.name,
                     f"every tool of MCP server {config.name}", "mcp", MCP_DEFAULT_POLICY)


def available_tools(store: Store, builtins: list[ToolEntry]) -> list[ToolEntry]:
    """``builtins``, then the custom tools that may run, then usable MCP servers."""
    return [*builtins,
            *(custom_entry(r) for r in store.custom_tools.list() if r.runnable),
            *(mcp_entry(s) for s in store.mcp_servers.list() if s.enabled and s.approved)]


# -- custom tools ------------------------------------------------------------------------------
def custom_tool_state(record: CustomToolRecord) -> CustomToolState:
    """enabled | disabled | changed (enabled, but the file differs) | missing."""
    if not Path(record.path).is_file():
        return "missing"
    if not record.enabled:
        return "disabled"
    return "enabled" if record.runnable else "changed"


def list_custom_tools(store: Store, folder: Path | None = None) -> list[CustomToolRecord]:
    """Every recorded custom tool; with ``folder``, its files are hashed (and
    recorded) first — nothing is imported or run."""
    if folder is not None:
        return discover_custom_tools(folder, store)
    return store.custom_tools.list()


def find_custom_tool(store: Store, name: str, folder: Path | None = None
                     ) -> CustomToolRecord | None:
    """A custom tool by name (its file name without .py), after hashing ``folder``."""
    if folder is not None:
        discover_custom_tools(folder, store)
    return store.custom_tools.find(name)


def set_custom_tool_enabled(store: Store, name: str, enabled: bool, *,
                            expected_sha256: str | None = None) -> CustomToolRecord:
    """Enable (approving the file's current hash) or disable a custom tool.

    ``expected_sha256`` (the whole hash or a prefix of at least
    ``MIN_HASH_PREFIX`` characters): enable only if the file still has the hash
    the person reviewed. Raises NotFoundError, CustomToolMissing,
    CustomToolChanged, HashPrefixTooShort.
    """
    record = store.custom_tools.find(name)
    if record is None:
        raise NotFoundError("custom tool", name)
    if enabled:
        if custom_tool_state(record) == "missing":
            raise CustomToolMissing(record)
        expected = (expected_sha256 or "").strip().lower()
        if expected and len(expected) < MIN_HASH_PREFIX:
            raise HashPrefixTooShort
        if expected and not record.sha256.startswith(expected):
            raise CustomToolChanged(record)
    return store.custom_tools.set_enabled(name, enabled)


# -- MCP servers -------------------------------------------------------------------------------
def list_servers(store: Store) -> list[McpServerConfig]:
    return store.mcp_servers.list()


def get_server(store: Store, name: str) -> McpServerConfig:
    """The server (NotFoundError if there is none)."""
    return store.mcp_servers.get_by_name(name)


def add_server(store: Store, config: McpServerConfig) -> McpServerConfig:
    """Store a new server, not approved and not enabled whatever ``config`` says
    (build it with app.core.tools.mcp_admin.new_server_config); DuplicateNameError
    if the name is taken. Nothing is started."""
    return store.mcp_servers.add(config)


def approve_server(store: Store, name: str, fingerprint: str) -> McpServerConfig:
    """Approve and enable exactly the command line the person was shown
    (``fingerprint``); ValueError if it changed since."""
    return store.mcp_servers.approve(name, fingerprint)


def set_server_enabled(store: Store, name: str, enabled: bool) -> McpServerConfig:
    """Enable (only an approved server: McpServerNotApproved) or disable one."""
    config = store.mcp_servers.get_by_name(name)
    if enabled and not config.approved:
        raise McpServerNotApproved(config)
    return store.mcp_servers.set_enabled(config.name, enabled)


def remove_server(store: Store, name: str) -> McpServerConfig:
    """Remove the server; returns what it was (NotFoundError if there is none)."""
    config = store.mcp_servers.get_by_name(name)
    store.mcp_servers.remove(config.name)
    return config


async def server_tools(load_configs: ConfigLoader, name: str, *,
                       log_dir: Path | None = None) -> list[McpTool]:
    """Start server ``name`` (only if approved and enabled), list its tools, stop
    it. Async, not on the store worker: it waits on another process. Raises
    ToolError (McpUnavailableError, McpConnectionError) with a message for the
    person."""
    from app.core.tools.mcp_admin import list_server_tools

    return await list_server_tools(load_configs, name, log_dir=log_dir)
