"""MCP tools as registry Tools: their names, and the Tool that calls the server.

A server's tool ``read.file`` on the server ``fs`` becomes ``fs__read_file``:
model APIs accept only ``^[a-zA-Z0-9_-]{1,64}$``, so other characters become
``_`` and a name that would be too long, or that collides after cleaning, is
cut and given a short hash of the original so it stays unique and stable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.core.tools.base import Tool, ToolContext, ToolError

SEPARATOR = "__"
MAX_NAME = 64
SERVER_PREFIX = "mcp:"  # an agent tool entry "mcp:fs" means every tool of server fs
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
VALID_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def clean(text: str) -> str:
    return _UNSAFE.sub("_", text.strip()) or "_"


def server_prefix(server: str) -> str:
    """What every exposed tool name of ``server`` starts with."""
    return clean(server) + SEPARATOR


def exposed_name(server: str, tool: str, taken: set[str] | frozenset[str] = frozenset()
                 ) -> str:
    """The registry name for ``tool`` of ``server`` (unique among ``taken``)."""
    name = server_prefix(server) + clean(tool)
    if len(name) <= MAX_NAME and name not in taken:
        return name
    digest = hashlib.sha256(f"{server}\0{tool}".encode()).hexdigest()
    for length in range(6, 65):
        suffix = "_" + digest[:length]
        candidate = name[:MAX_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValueError(f"cannot name the tool {tool!r} of MCP server {server!r}")


@dataclass(frozen=True)
class McpTimeouts:
    """Seconds allowed for each step; a server that exceeds one is reported."""

    initialize: float = 30.0  # spawn (or connect) + handshake
    list_tools: float = 15.0
    call: float = 60.0  # default per call; a tool may set its own
    stop: float = 10.0  # the SDK's own shutdown is bounded at about 6 s


DEFAULT_TIMEOUTS = McpTimeouts()


class McpConnectionError(ToolError):
    """The server could not be reached, did not start, or went away."""


# (server, remote tool name, arguments, timeout) -> text for the model
CallFunction = Callable[[str, str, dict[str, Any], float], Awaitable[str]]


class McpTool(Tool):
    """A tool that lives on an MCP server. It can do anything the server can,
    so it asks before each call unless the user sets another policy per agent."""

    policy = "ask"
    risk = "high"

    def __init__(self, *, server: str, remote_name: str, name: str, description: str,
                 parameters: dict[str, Any], call: CallFunction, timeout: float) -> None:
        self.server = server
        self.remote_name = remote_name
        self.name = name
        self.description = description
        self.parameters = parameters
        self.timeout = timeout
        self._call = call

    def summarize(self, arguments: dict[str, Any]) -> str:
        return f"MCP server {self.server}: " + super().summarize(arguments).replace(
            self.name, self.remote_name, 1)

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> str:
        return await self._call(self.server, self.remote_name, arguments, self.timeout)


def input_schema(schema: dict[str, Any] | None) -> dict[str, Any]:
    """The server's input schema as is, made an object schema when it is empty."""
    if not schema:
        return {"type": "object", "properties": {}}
    return schema
