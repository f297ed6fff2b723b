"""``agentdesk mcp ...``: MCP servers, their approval, and their tools.

A server is added unapproved and disabled. ``mcp approve`` shows the full
command line (or URL) and the environment variable names, and records the
fingerprint of exactly what was shown; a later change to the command, its
arguments, the environment names or the URL needs approving again. Approval
asks on a terminal; scripts pass ``--yes``; with neither it is refused.
``mcp tools`` is the only command here that starts a server, and only an
approved, enabled one.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.commands.common import CliError
from app.commands.output import fields, print_json, say, table
from app.commands.terminal_text import terminal_text
from app.core.tools.base import ToolError
from app.core.tools.mcp_admin import (
    McpConfigError,
    approval_state,
    describe,
    new_server_config,
    parse_env,
    shown_command_line,
)
from app.core.tools.mcp_manager import configs_from_store
from app.domain.tools import McpServerConfig
from app.ops import tools as tool_ops
from app.settings import data_home
from app.store import DuplicateNameError, NotFoundError, Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("mcp", help="MCP servers (tools from other programs)")
    commands = group.add_subparsers(dest="mcp_command", metavar="COMMAND", required=True)

    add = commands.add_parser(
        "add", parents=[common], help="add a server (not approved, not started)",
        description="Add an MCP server. Arguments that start with '-' are given as "
                    "--arg=-x. Values of --env may be references: keyring:ENTRY or "
                    "env:VARIABLE (resolved when the server starts).")
    add.add_argument("name", metavar="NAME")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--command", metavar="CMD", help="program to run (stdio server)")
    target.add_argument("--url", metavar="URL", help="streamable HTTP endpoint")
    add.add_argument("--arg", action="append", default=[], metavar="A",
                     help="one argument for the program (repeat for more)")
    add.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                     help="an environment variable for the program (repeat for more)")
    add.set_defaults(handler=add_server)

    for name, handler, text in (
        ("list", list_servers, "list servers with their approved/enabled state"),
        ("show", show_server, "show a server's full command line and fingerprint"),
        ("approve", approve_server, "approve a server's command line and enable it"),
        ("enable", enable_server, "enable an approved server again"),
        ("disable", disable_server, "disable a server (it will not be started)"),
        ("remove", remove_server, "remove a server"),
        ("tools", server_tools, "start an approved server and list its tools"),
    ):
        command = commands.add_parser(name, parents=[common], help=text)
        if name != "list":
            command.add_argument("name", metavar="NAME")
        if name == "approve":
            command.add_argument("--yes", action="store_true",
                                 help="approve without asking (for scripts)")
        command.set_defaults(handler=handler)


def add_server(args: argparse.Namespace, store: Store) -> int:
    try:
        config = new_server_config(args.name, command=args.command, args=args.arg,
                                   url=args.url, env=parse_env(args.env))
    except McpConfigError as exc:
        raise CliError(str(exc)) from None
    try:
        added = tool_ops.add_server(store, config)
    except DuplicateNameError:
        raise CliError(f"an MCP server named {args.name!r} already exists") from None
    if args.json:
        print_json(describe(added))
    else:
        say(f"added MCP server {added.name!r} (not approved; nothing was started)")
        say(f"review and approve it: agentdesk mcp approve {added.name}")
    return 0


def list_servers(args: argparse.Namespace, store: Store) -> int:
    servers = tool_ops.list_servers(store)
    if args.json:
        print_json([describe(config) for config in servers])
    elif not servers:
        say("no MCP servers (add one: agentdesk mcp add NAME --command CMD | --url URL)")
    else:
        table(["NAME", "TRANSPORT", "APPROVED", "ENABLED", "COMMAND LINE"],
              [(c.name, c.transport, approval_state(c), "yes" if c.enabled else "no",
                shown_command_line(c)) for c in servers])
    return 0


def show_server(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    if args.json:
        print_json(describe(config))
    else:
        _print_details(config)
    return 0


def approve_server(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    _print_details(config, out=sys.stderr if args.json else sys.stdout)
    if not args.yes:
        if not (sys.stdin is not None and sys.stdin.isatty()):
            raise CliError("approving needs a terminal to confirm on; review the command "
                           f"line (agentdesk mcp show {config.name}) and pass --yes")
        answer = input(f"Run this command for MCP server {config.name!r}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise CliError("not approved")
    try:
        # The fingerprint of what was shown: a change made meanwhile is refused.
        approved = tool_ops.approve_server(store, config.name, config.fingerprint)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(describe(approved))
    else:
        say(f"approved and enabled MCP server {approved.name!r}")
    return 0


def enable_server(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    try:
        enabled = tool_ops.set_server_enabled(store, config.name, True)
    except tool_ops.McpServerNotApproved as exc:
        raise CliError(f"{exc}; approve it: agentdesk mcp approve {config.name}") from None
    return _report(args, enabled, "enabled")


def disable_server(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    return _report(args, tool_ops.set_server_enabled(store, config.name, False), "disabled")


def remove_server(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    tool_ops.remove_server(store, config.name)
    if args.json:
        print_json({"removed": config.name})
    else:
        say(f"removed MCP server {config.name!r}")
    return 0


def server_tools(args: argparse.Namespace, store: Store) -> int:
    config = _get(store, args.name)
    try:
        tools = asyncio.run(tool_ops.server_tools(configs_from_store(store), config.name,
                                                  log_dir=data_home(args.home) / "logs"))
    except ToolError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json([{"name": tool.name, "server_name": tool.remote_name,
                     "description": tool.description, "parameters": tool.parameters}
                    for tool in tools])
    elif not tools:
        say(f"MCP server {config.name!r} offers no tools")
    else:
        table(["TOOL", "ON SERVER", "DESCRIPTION"],
              [(t.name, t.remote_name, " ".join(t.description.split())[:80]) for t in tools])
    return 0


def _get(store: Store, name: str) -> McpServerConfig:
    try:
        return tool_ops.get_server(store, name)
    except NotFoundError:
        raise CliError(f"unknown MCP server {name!r} (see: agentdesk mcp list)") from None


def _print_details(config: McpServerConfig, out=None) -> None:
    out = out or sys.stdout
    lines = [("name", config.name), ("transport", config.transport),
             ("url" if config.transport == "http" else "command line",
              shown_command_line(config))]
    if config.env:
        lines.append(("environment", ", ".join(
            f"{key}={_env_shown(value)}" for key, value in sorted(config.env.items()))))
    lines += [("fingerprint", config.fingerprint), ("approved", approval_state(config)),
              ("enabled", "yes" if config.enabled else "no")]
    if out is sys.stdout:
        fields(lines)
    else:
        for label, value in lines:
            out.write(f"{label}: {terminal_text(str(value))}\n")


def _env_shown(value: str) -> str:
    """References are shown; literal values are not (they may be secrets)."""
    return value if value.startswith(("keyring:", "env:")) else "<set>"


def _report(args: argparse.Namespace, config: McpServerConfig, what: str) -> int:
    if args.json:
        print_json(describe(config))
    else:
        say(f"{what} MCP server {config.name!r}")
    return 0
