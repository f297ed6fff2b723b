"""``agentdesk agents export|import``: agents as versioned, portable JSON files.

File format (version 1)::

    {"format": "agentdesk.agent", "version": 1, "agent": AgentSpec.portable()}

The file carries no database identity and no secrets. Import validates the
whole file before writing anything, so a bad file never changes the store.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.commands.common import (
    CliError,
    describe_validation_error,
    resolve_agent,
    save_new_agent,
)
from app.commands.output import print_json, say, warn
from app.domain import AgentSpec
from app.store import Store

FORMAT = "agentdesk.agent"
VERSION = 1
# Store-assigned fields: ignored if a hand-edited file carries them.
_IDENTITY_FIELDS = ("id", "revision", "created_at", "updated_at")


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
    imp.set_defaults(handler=import_agent)


def agent_document(spec: AgentSpec) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "agent": spec.portable()}


def parse_agent_document(data: Any, source: str) -> AgentSpec:
    """Validate a decoded agent file; raises CliError saying what is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CliError(f"{source} is not an AgentDesk agent file "
                       f"(format {found!r}, expected {FORMAT!r})")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CliError(f"{source} has an invalid format version {version!r}")
    if version > VERSION:
        raise CliError(f"{source} was written by a newer AgentDesk (agent file version "
                       f"{version}; this one reads up to {VERSION}) — please update")
    agent = data.get("agent")
    if not isinstance(agent, dict):
        raise CliError(f"{source} has no 'agent' object")
    values = {k: v for k, v in agent.items() if k not in _IDENTITY_FIELDS}
    try:
        return AgentSpec.model_validate(values)
    except ValidationError as exc:
        raise CliError(f"invalid agent in {source}: "
                       f"{describe_validation_error(exc, AgentSpec)}") from None


def read_agent_file(file: str) -> AgentSpec:
    source = "standard input" if file == "-" else file
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CliError(f"cannot read {source}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{source} is not valid JSON: {exc.msg} "
                       f"(line {exc.lineno}, column {exc.colno})") from None
    return parse_agent_document(data, source)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: an interrupted export leaves no half file."""
    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def export_agent(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_agent(store, args.agent)
    document = agent_document(spec)
    if not args.output:
        print_json(document)
        return 0
    write_atomically(Path(args.output),
                     json.dumps(document, ensure_ascii=False, indent=2) + "\n")
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
    missing = sorted({name for name in [spec.provider, *(f.provider for f in spec.fallbacks)]
                      if name and store.providers.find_by_name(name) is None})
    created = save_new_agent(store, spec)
    if missing:
        warn(f"provider(s) not configured here: {', '.join(missing)} — add with: "
             "agentdesk providers add NAME --kind ...")
    if args.json:
        print_json(created)
    else:
        say(f"imported agent {created.name!r} (id {created.id})")
    return 0
