"""``agentdesk tools list|enable NAME|disable NAME``: built-in and custom tools.

Custom tools are the Python files in ``<data folder>/tools``. Listing and
enabling hash the files (discovery) but never run them; enabling approves the
file's current sha256, so a file changed later must be enabled again.
"""

from __future__ import annotations

import argparse
from app.commands.common import CliError
from app.commands.output import print_json, say, table
from app.core.tools.builtin import build_tool_registry
from app.core.tools.custom import custom_tools_folder
from app.domain.tools import CustomToolRecord
from app.ops import tools as tool_ops
from app.settings import AppSettings, SettingsError, load_settings
from app.store import Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("tools", help="list tools; enable or disable custom tools")
    commands = group.add_subparsers(dest="tools_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", parents=[common],
                                  help="built-in tools and custom tool files")
    listing.set_defaults(handler=list_tools)

    enable = commands.add_parser("enable", parents=[common],
                                 help="allow a custom tool file to run (approves its hash)")
    enable.add_argument("name", metavar="NAME", help="the file name without .py")
    enable.add_argument("--sha256", metavar="HASH",
                        help="only enable if the file still has this hash (or prefix, "
                             "at least 8 characters) - the one you reviewed")
    enable.set_defaults(handler=enable_tool)

    disable = commands.add_parser("disable", parents=[common],
                                  help="stop a custom tool file from running")
    disable.add_argument("name", metavar="NAME")
    disable.set_defaults(handler=disable_tool)


def list_tools(args: argparse.Namespace, store: Store) -> int:
    settings = _settings(args)
    folder = custom_tools_folder(settings.home)
    records = tool_ops.list_custom_tools(store, folder)
    registry = build_tool_registry(settings)
    group_of = getattr(registry, "group_of", lambda name: None)
    builtin = [{"name": name, "group": group_of(name), "policy": tool_.policy,
                "risk": tool_.risk}
               for name in registry.names() if (tool_ := registry.get(name)) is not None]
    custom = [_record_json(record) for record in records]
    if args.json:
        print_json({"builtin": builtin, "custom": custom, "custom_folder": str(folder)})
        return 0
    say("Built-in tools:")
    table(["NAME", "GROUP", "POLICY", "RISK"],
          [[t["name"], t["group"], t["policy"], t["risk"]] for t in builtin])
    say("")
    if not records:
        say(f"No custom tools (put Python files using @tool in {folder}).")
        return 0
    say(f"Custom tools ({folder}):")
    table(["NAME", "STATE", "SHA256", "FILE"],
          [[c["name"], c["state"], c["sha256"][:16], c["path"]] for c in custom])
    return 0


def enable_tool(args: argparse.Namespace, store: Store) -> int:
    record = _find(args, store)
    try:
        enabled = tool_ops.set_custom_tool_enabled(store, record.name, True,
                                                   expected_sha256=args.sha256)
    except tool_ops.HashPrefixTooShort:
        raise CliError(f"--sha256 needs at least {tool_ops.MIN_HASH_PREFIX} characters "
                       "of the hash") from None
    except tool_ops.ToolRefused as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(_record_json(enabled))
        return 0
    say(f"enabled {enabled.name}: {enabled.path}")
    say(f"sha256 {enabled.sha256}")
    say("Its code runs inside AgentDesk with your rights from the next start; "
        "if the file changes it must be enabled again.")
    return 0


def disable_tool(args: argparse.Namespace, store: Store) -> int:
    record = _find(args, store)
    disabled = tool_ops.set_custom_tool_enabled(store, record.name, False)
    if args.json:
        print_json(_record_json(disabled))
    else:
        say(f"disabled {disabled.name}")
    return 0


def _find(args: argparse.Namespace, store: Store) -> CustomToolRecord:
    settings = _settings(args)
    folder = custom_tools_folder(settings.home)
    record = tool_ops.find_custom_tool(store, args.name, folder)
    if record is not None:
        return record
    if build_tool_registry(settings).get(args.name) is not None:
        raise CliError(f"{args.name} is a built-in tool; built-in tools are chosen per "
                       "agent (agents create --tool NAME), not enabled here")
    raise CliError(f"unknown custom tool {args.name!r} (custom tools are the .py files "
                   f"in {folder}; see: agentdesk tools list)")


def _record_json(record: CustomToolRecord) -> dict:
    return {**record.model_dump(mode="json"), "state": tool_ops.custom_tool_state(record)}


def _settings(args: argparse.Namespace) -> AppSettings:
    try:
        return load_settings(args.home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
