"""McpManager: the only way AgentDesk starts MCP servers, and only approved ones.

Rules it enforces (each call re-reads the configuration, so a revoked or
changed server takes effect at once):

* A server is started (or, for HTTP, connected to) only when it is enabled and
  its approved fingerprint equals the fingerprint of its current command line,
  arguments, environment variable names and URL. Anything else raises
  ``McpUnavailableError`` and no process is spawned.
* Servers start lazily: when an agent that uses them runs (``tools_for``), when
  the user lists their tools, or on the first call. Nothing starts when the app
  starts: an unused server costs nothing and a broken one cannot slow the start.
* A session stays open between calls. A server that went away makes the call
  that finds out fail with a clear error; the next use starts it again.
* ``close()`` stops every server; the SDK ends each stdio child's whole process
  group, so no child process outlives the app's clean shutdown.

Environment of a stdio server: the SDK's minimal set (HOME, LOGNAME, PATH,
SHELL, TERM, USER) plus the server's configured ``env`` entries. The app's own
environment (API keys and other secrets) is never passed on. A configured value
written ``keyring:ENTRY`` or ``env:VARIABLE`` is a reference resolved at start
(the key from the OS keyring, or that one variable of the app's environment),
so secrets need not sit in the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from app.core.secrets import SecretError, resolve_key
from app.core.tools.base import Tool, ToolError
from app.core.tools.mcp_tools import (
    DEFAULT_TIMEOUTS,
    SERVER_PREFIX,
    McpConnectionError,
    McpTimeouts,
    McpTool,
    clean,
    exposed_name,
    input_schema,
    server_prefix,
)
from app.domain.tools import McpServerConfig

if TYPE_CHECKING:  # the SDK takes over a second to import: loaded on first start
    from app.core.tools.mcp_client import McpConnection

log = logging.getLogger(__name__)

ConfigLoader = Callable[[], Awaitable[list[McpServerConfig]]]


class McpUnavailableError(ToolError):
    """The server may not be started (unknown, disabled, not approved)."""


def check_runnable(config: McpServerConfig) -> None:
    """Raise McpUnavailableError unless ``config`` may be started now."""
    if not config.approved:
        state = ("changed since it was approved" if config.approved_fingerprint
                 else "not approved yet")
        raise McpUnavailableError(
            f"MCP server {config.name!r} is {state}; review its command line and approve "
            f"it first (agentdesk mcp show {config.name}; agentdesk mcp approve {config.name})")
    if not config.enabled:
        raise McpUnavailableError(f"MCP server {config.name!r} is disabled")


@dataclass
class McpSelection:
    """The MCP tools an agent asked for, and why any could not be offered."""

    tools: list[Tool] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class McpManager:
    def __init__(self, load_configs: ConfigLoader, *, timeouts: McpTimeouts = DEFAULT_TIMEOUTS,
                 log_dir: Path | None = None,
                 resolve_secret: Callable[[str], str | None] = resolve_key) -> None:
        self._load_configs = load_configs
        self._timeouts = timeouts
        self._log_dir = log_dir
        self._resolve_secret = resolve_secret
        self._connections: dict[str, McpConnection] = {}
        self._tools: dict[str, tuple[McpConnection, list[McpTool]]] = {}
        self._errlogs: dict[str, IO[Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closed = False

    # -- configuration -----------------------------------------------------

    async def config(self, name: str) -> McpServerConfig:
        wanted = _key(name)
        for config in await self._load_configs():
            if _key(config.name) == wanted:
                return config
        raise McpUnavailableError(f"there is no MCP server named {name!r}")

    def _environment(self, config: McpServerConfig) -> dict[str, str]:
        env: dict[str, str] = {}
        for key, value in config.env.items():
            if value.startswith(("keyring:", "env:")):
                try:
                    env[key] = self._resolve_secret(value) or ""
                except SecretError as exc:
                    raise McpUnavailableError(
                        f"MCP server {config.name!r}: the value of {key} cannot be "
                        f"resolved: {exc}") from exc
            else:
                env[key] = value
        return env

    def _errlog(self, key: str, config: McpServerConfig) -> IO[Any] | None:
        """The server's stderr goes to <log dir>/mcp/<name>.log (or nowhere)."""
        if self._log_dir is None or config.transport != "stdio":
            return None
        folder = self._log_dir / "mcp"
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / f"{clean(config.name)}.log", "ab")  # noqa: SIM115
        self._errlogs[key] = handle
        return handle

    # -- connections -------------------------------------------------------

    def running(self) -> list[str]:
        """Names of the servers with an open session."""
        return sorted(conn.name for conn in self._connections.values() if conn.usable)

    async def connect(self, name: str) -> McpConnection:
        """An open session with the server, starting it if it is runnable."""
        key = _key(name)
        async with self._locks.setdefault(key, asyncio.Lock()):
            if self._closed:
                raise McpUnavailableError("MCP servers are shut down")
            config = await self.config(name)
            current = self._connections.get(key)
            try:
                check_runnable(config)
            except McpUnavailableError:
                await self._drop(key)  # disabled or changed while running: stop it
                raise
            if current is not None and current.usable and (
                    current.fingerprint == config.fingerprint):
                return current
            await self._drop(key)  # gone, or started under another command line
            env = self._environment(config) if config.transport == "stdio" else {}
            from app.core.tools.mcp_client import McpConnection

            connection = McpConnection(config, env=env, timeouts=self._timeouts,
                                       errlog=self._errlog(key, config))
            log.info("starting MCP server %r: %s", config.name, config.command_line)
            try:
                await connection.start()
            except McpConnectionError as exc:
                errlog = self._errlogs.get(key)
                self._close_errlog(key)
                if errlog is not None:
                    raise McpConnectionError(
                        f"{exc} (its error output is in {errlog.name})") from exc
                raise
            except BaseException:
                self._close_errlog(key)
                raise
            self._connections[key] = connection
            return connection

    async def tools(self, name: str) -> list[McpTool]:
        """The server's tools as registry Tools (starts the server if needed)."""
        connection = await self.connect(name)
        key = _key(connection.name)
        cached = self._tools.get(key)
        if cached is not None and cached[0] is connection:
            return list(cached[1])
        try:
            listed = await connection.list_tools()
        except McpConnectionError:
            if not connection.usable:
                await self._drop(key)
            raise
        taken: set[str] = set()
        tools: list[McpTool] = []
        for remote in listed:
            exposed = exposed_name(connection.name, remote.name, taken)
            taken.add(exposed)
            tools.append(McpTool(
                server=connection.name, remote_name=remote.name, name=exposed,
                description=remote.description or f"{remote.name} (MCP server "
                                                  f"{connection.name})",
                parameters=input_schema(remote.input_schema), call=self.call,
                timeout=self._timeouts.call))
        self._tools[key] = (connection, tools)
        return list(tools)

    async def call(self, server: str, tool: str, arguments: dict[str, Any],
                   timeout: float | None = None) -> str:
        """Call ``tool`` on ``server``; text for the model, or ToolError/TimeoutError."""
        connection = await self.connect(server)
        try:
            result = await connection.call_tool(tool, arguments, timeout)
        except McpConnectionError:
            if not connection.usable:
                await self._drop(_key(connection.name))
            raise
        from app.core.tools.mcp_client import result_text

        return result_text(result)

    async def tools_for(self, names: Iterable[str]) -> McpSelection:
        """The MCP tools among an agent's tool names, starting only their servers.

        ``server__tool`` selects one tool, ``mcp:server`` every tool of a server.
        Names that belong to no configured server are not MCP tools and are
        ignored; a server that cannot start is reported in ``problems``.
        """
        configs = await self._load_configs()
        wanted: dict[str, set[str] | None] = {}
        for entry in names:
            for config in configs:
                if entry.startswith(SERVER_PREFIX):
                    if entry[len(SERVER_PREFIX):].casefold() == config.name.casefold():
                        wanted[config.name] = None
                elif entry.startswith(server_prefix(config.name)):
                    chosen = wanted.setdefault(config.name, set())
                    if chosen is not None:
                        chosen.add(entry)
        selection = McpSelection()
        for server, chosen in wanted.items():
            try:
                offered = await self.tools(server)
            except ToolError as exc:
                selection.problems.append(str(exc))
                continue
            if chosen is None:
                selection.tools.extend(offered)
                continue
            by_name = {tool.name: tool for tool in offered}
            for entry in sorted(chosen):
                if entry in by_name:
                    selection.tools.append(by_name[entry])
                else:
                    selection.problems.append(f"MCP server {server!r} offers no tool {entry!r}")
        return selection

    async def stop(self, name: str) -> None:
        key = _key(name)
        async with self._locks.setdefault(key, asyncio.Lock()):
            await self._drop(key)

    async def close(self) -> None:
        """Stop every server (call on shutdown); later use is refused."""
        self._closed = True
        keys = list(self._connections)
        await asyncio.gather(*(self._drop(key) for key in keys), return_exceptions=True)

    async def _drop(self, key: str) -> None:
        connection = self._connections.pop(key, None)
        self._tools.pop(key, None)
        try:
            if connection is not None:
                await connection.stop()
                log.info("stopped MCP server %r", connection.name)
        finally:
            self._close_errlog(key)

    def _close_errlog(self, key: str) -> None:
        handle = self._errlogs.pop(key, None)
        if handle is not None:
            handle.close()


def _key(name: str) -> str:
    return name.strip().casefold()


def configs_from_store(store: Any) -> ConfigLoader:
    """A loader over a synchronous ``Store`` (the CLI)."""

    async def load() -> list[McpServerConfig]:
        return store.mcp_servers.list()

    return load


def configs_from_async_store(store: Any) -> ConfigLoader:
    """A loader over an ``AsyncStore`` (the GUI: the query runs on its worker)."""

    async def load() -> list[McpServerConfig]:
        return await store.run(lambda s: s.mcp_servers.list())

    return load
