"""``agentdesk agents export|import``: agents as versioned, portable JSON files.

The file format and its checks are app/core/export/agent_file.py (shared with
the window's Export Agent / Import Agent). Import validates the whole file
before writing anything, so a bad file never changes the store.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.commands.common import (
    CliError,
    cli_message,
    describe_validation_error,
    resolve_agent,
)
from app.commands.output import print_json, say, warn
from app.core.export import agent_file
from app.core.export.agent_grants import AgentGrants, withhold_grants
from app.domain import AgentSpec
from app.ops import exchange
from app.store import Store



def register(commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser("export", parents=[common],
                                 help="write an agent as a portable JSON file")
    export.add_argument("agent", metavar="NAME|ID")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="file to write (default: standard output)")
    export.set_defaults(handler=export_agent)

    imp = commands.add_parser("import", parents=[common],
                              help="create an agent from an exported JSON file")
    imp.add_argument("file", metavar="FILE", help="exported agent file ('-' = stdin)")
    imp.add_argument("--name", metavar="NEWNAME", help="import under another name")
    permissions = imp.add_mutually_exclusive_group()
    permissions.add_argument(
        "--grant-permissions", dest="grant", action="store_const", const=True,
        help="give the tool permissions the file asks for (tools that run without "
             "asking) without a question")
    permissions.add_argument(
        "--without-permissions", dest="grant", action="store_const", const=False,
        help="import with every tool asking as usual, whatever the file asks for")
    imp.set_defaults(handler=import_agent, grant=None)


def parse_agent_document(data: Any, source: str) -> AgentSpec:
    """Validate a decoded agent file; raises CliError saying what is wrong."""
    try:
        return agent_file.parse_agent_document(data, source)
    except agent_file.AgentFileError as exc:
        raise CliError(str(exc)) from None


def read_agent_file(file: str) -> AgentSpec:
    try:
        if file != "-":
            return agent_file.read_agent_file(Path(file), source=file)
        text = sys.stdin.read(agent_file.MAX_FILE_BYTES + 1)
        return agent_file.parse_agent_text(text, "standard input")
    except agent_file.AgentFileError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot read standard input: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError("cannot read standard input: not UTF-8 text") from None


def _decide_grant(flag: bool | None, withheld: AgentGrants) -> bool:
    """Whether to give the permissions the file asks for: the flag, else the
    answer on a terminal; without a terminal or a flag nothing is imported."""
    if not withheld.policies or flag is not None:
        return bool(flag) and bool(withheld.policies)
    listing = "\n".join(f"  - {line}" for line in withheld.lines())
    if not (sys.stdin is not None and sys.stdin.isatty()):
        raise CliError("nothing imported: the agent file asks that tools run without "
                       f"asking:\n{listing}\nimport with --without-permissions (tools ask "
                       "as usual) or --grant-permissions (give what it asks for)")
    warn(f"the agent file asks that tools run without asking:\n{listing}")
    answer = input("Give these permissions? Only if you trust whoever made the file. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def export_agent(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_agent(store, args.agent)
    if not args.output:
        print_json(agent_file.agent_document(spec))
        return 0
    try:
        exchange.export_agent(Path(args.output), spec)
    except exchange.ExportError as exc:
        raise CliError(cli_message(str(exc))) from None
    if args.json:
        print_json({"exported": spec.name, "file": str(Path(args.output).resolve())})
    else:
        say(f"exported agent {spec.name!r} to {args.output}")
    return 0


def import_agent(args: argparse.Namespace, store: Store) -> int:
    spec = read_agent_file(args.file)
    if args.name is not None:
        try:
            spec = spec.model_copy(update={"name": AgentSpec(name=args.name).name})
        except ValidationError as exc:
            raise CliError(describe_validation_error(exc, AgentSpec,
                                                     {"name": "--name"})) from None
    existing = store.agents.find_by_name(spec.name)
    if existing is not None:
        raise CliError(f"an agent named {existing.name!r} already exists — "
                       "import under another name with --name NEWNAME")
    _safe, withheld = withhold_grants(spec)
    imported = exchange.import_agent(store, spec, grant=_decide_grant(args.grant, withheld))
    created, missing = imported.agent, imported.missing_providers
    if (workspace := withheld.workspace_note()) is not None:
        warn(workspace)
    if imported.withheld.policies:
        warn("imported without the tool permissions the file asks for; its tools ask "
             "before they act")
    if missing:
        warn(f"provider(s) not configured here: {', '.join(missing)} — add with: "
             "agentdesk providers add NAME --kind ...")
    if args.json:
        print_json(created)
    else:
        say(f"imported agent {created.name!r} (id {created.id})")
    return 0
