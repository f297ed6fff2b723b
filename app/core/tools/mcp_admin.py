"""Adding, describing and trying MCP servers: the rules the CLI (``agentdesk
mcp``) and Settings › Tools & MCP share.

- ``new_server_config`` checks what a person typed (a plain name, an http(s)
  URL *or* a command, ``KEY=VALUE`` environment entries) and builds the
  unapproved, disabled configuration that is stored; ``McpConfigError``
  says in one line what is wrong.
- ``shown_command_line`` / ``approval_state``: how a server is shown (the
  command line quoted as a shell reads it, so an argument with a space is
  visibly one argument).
- ``list_server_tools``: start (or connect to) one server through
  ``McpManager`` — so only an approved, enabled one — list its tools and stop
  it again. Async: the window awaits it on its event loop without blocking.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from app.core.secrets import ENV_NAME
from app.core.tools.mcp_manager import ConfigLoader, McpManager
from app.core.tools.mcp_tools import DEFAULT_TIMEOUTS, McpTimeouts, McpTool
from app.domain.links import is_http_address
from app.domain.tools import McpServerConfig

# Server names become tool-name prefixes ("<name>__<tool>"), so keep them plain.
SERVER_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]|_(?!_)){0,31}$")
NAME_RULE = "use up to 32 letters, digits, '-' or '_' (no '__')"


class McpConfigError(ValueError):
    """What a person entered for a server is not usable (one line, for them)."""


def parse_env(entries: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` entries as a dict (McpConfigError on a malformed one)."""
    env: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not ENV_NAME.fullmatch(key):
            raise McpConfigError(f"invalid environment entry {entry!r}: expected KEY=VALUE")
        env[key] = value
    return env


def check_name(name: str) -> str:
    if not SERVER_NAME.match(name):
        raise McpConfigError(f"invalid server name {name!r}: {NAME_RULE}")
    return name


def check_url(url: str) -> str:
    if not is_http_address(url):
        raise McpConfigError(f"invalid URL {url!r}: expected an http:// or https:// URL")
    return url


def new_server_config(name: str, *, command: str | None = None, args: Iterable[str] = (),
                      url: str | None = None,
                      env: dict[str, str] | None = None) -> McpServerConfig:
    """A new server's configuration (not approved, not enabled), checked."""
    check_name(name)
    args, env = list(args), dict(env or {})
    if bool(command) == bool(url):
        raise McpConfigError("give either a command (stdio server) or a URL (HTTP server)")
    if url:
        check_url(url)
        if args or env:
            raise McpConfigError("arguments and environment entries belong to command "
                                 "servers, not URL ones")
    for key in env:
        if not ENV_NAME.fullmatch(key):
            raise McpConfigError(f"invalid environment variable name {key!r}")
    try:
        return McpServerConfig(name=name, transport="http" if url else "stdio",
                               command=command or None, args=args, url=url or None, env=env)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                             for e in exc.errors())
        raise McpConfigError(f"invalid MCP server: {problems}") from None


def split_command_line(text: str) -> tuple[str, list[str]]:
    """A typed command line as program and arguments (shell quoting rules)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise McpConfigError(f"the command line cannot be read: {exc}") from None
    if not words:
        raise McpConfigError("the command is empty")
    return words[0], words[1:]


def shown_command_line(config: McpServerConfig) -> str:
    """The command line as a shell would read it (quoting made visible)."""
    if config.transport == "http":
        return config.url or ""
    return shlex.join([config.command or "", *config.args])


def approval_state(config: McpServerConfig) -> str:
    """"yes", "changed" (approved once, command line changed since) or "no"."""
    if config.approved:
        return "yes"
    return "changed" if config.approved_fingerprint else "no"


def describe(config: McpServerConfig) -> dict:
    """The server as JSON data (secrets left out: only environment names)."""
    return {"name": config.name, "transport": config.transport, "command": config.command,
            "args": config.args, "url": config.url, "env_names": sorted(config.env),
            "command_line": shown_command_line(config), "fingerprint": config.fingerprint,
            "approved": config.approved, "enabled": config.enabled}


async def list_server_tools(load_configs: ConfigLoader, name: str, *,
                            log_dir: Path | None = None,
                            timeouts: McpTimeouts = DEFAULT_TIMEOUTS) -> list[McpTool]:
    """Start server ``name`` (only if approved and enabled), list its tools, stop it.

    Raises ToolError (McpUnavailableError, McpConnectionError) with a message
    for the person when it may not start or does not answer.
    """
    manager = McpManager(load_configs, log_dir=log_dir, timeouts=timeouts)
    try:
        return await manager.tools(name)
    finally:
        await manager.close()
