"""``agentdesk workflows create|list|show|delete|export|import`` (``run``:
workflow_run.py). Workflows are stored like agents, with revisions; the
operations are app/ops/workflows.py, shared with the window."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from app.commands import workflow_run
from app.commands.common import CliError, describe_validation_error
from app.commands.output import fields, indented, print_json, say, table, warn
from app.core.workflows.workflow_file import WorkflowFileError
from app.domain.workflow import DEFAULT_MAX_DEPTH, WORKFLOW_KINDS, WorkflowSpec
from app.ops import workflows as workflow_ops
from app.store import DuplicateNameError, Store

OPTION_NAMES = {"name": "--name", "kind": "--kind", "agents": "--agent",
                "synthesis": "--synthesis", "max_depth": "--max-depth",
                "description": "--description"}


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser(
        "workflows", help="several agents on one question: chain, hand-off, parallel")
    commands = group.add_subparsers(dest="workflows_command", metavar="COMMAND",
                                    required=True)

    create = commands.add_parser(
        "create", parents=[common], help="create a workflow",
        description="chain: each --agent answers the previous one's answer, in order; "
                    "handoff: the first --agent answers and may ask the others "
                    "(ask_<agent> tools, --max-depth nested asks); parallel: every "
                    "--agent answers at once, then --synthesis merges the answers.")
    create.add_argument("--name", required=True)
    create.add_argument("--kind", required=True, choices=WORKFLOW_KINDS)
    create.add_argument("--agent", action="append", default=[], metavar="NAME",
                        help="an agent of the workflow (repeatable, in order)")
    create.add_argument("--synthesis", metavar="NAME",
                        help="the agent that merges the answers (parallel)")
    create.add_argument("--max-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                        help=f"how deep hand-offs may nest (default {DEFAULT_MAX_DEPTH})")
    create.add_argument("--description", default="", metavar="TEXT")
    create.set_defaults(handler=create_workflow)

    commands.add_parser("list", parents=[common], help="list workflows").set_defaults(
        handler=list_workflows)

    show = commands.add_parser("show", parents=[common],
                               help="show one workflow and its revisions")
    show.add_argument("workflow", metavar="NAME|ID")
    show.set_defaults(handler=show_workflow)

    delete = commands.add_parser("delete", parents=[common],
                                 help="delete a workflow (its runs stay as chats)")
    delete.add_argument("workflow", metavar="NAME|ID")
    delete.set_defaults(handler=delete_workflow)

    export = commands.add_parser("export", parents=[common],
                                 help="write a workflow and its agents to a file")
    export.add_argument("workflow", metavar="NAME|ID")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="file to write (default: standard output)")
    export.set_defaults(handler=export_workflow)

    imported = commands.add_parser(
        "import", parents=[common],
        help="import a workflow file (and the agents it brings that are not here)")
    imported.add_argument("file", metavar="FILE")
    imported.set_defaults(handler=import_workflow)

    workflow_run.register(commands, common)


def resolve_workflow(store: Store, key: str) -> WorkflowSpec:
    spec = workflow_ops.find(store, key)
    if spec is None:
        raise CliError(f"unknown workflow {key!r} (see: agentdesk workflows list)")
    return spec


def create_workflow(args: argparse.Namespace, store: Store) -> int:
    try:
        spec = WorkflowSpec(name=args.name, kind=args.kind, agents=args.agent,
                            synthesis=args.synthesis, max_depth=args.max_depth,
                            description=args.description)
    except ValidationError as exc:
        raise CliError(f"invalid workflow: "
                       f"{describe_validation_error(exc, WorkflowSpec, OPTION_NAMES)}") from None
    try:
        created = workflow_ops.create(store, spec)
    except DuplicateNameError:
        raise CliError(f"a workflow named {spec.name!r} already exists") from None
    except workflow_ops.WorkflowProblem as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(created)
    else:
        say(f"created workflow {created.name!r} (id {created.id})")
    return 0


def list_workflows(args: argparse.Namespace, store: Store) -> int:
    found = workflow_ops.list_workflows(store)
    if args.json:
        print_json(found)
    elif not found:
        say("no workflows yet — create one with: agentdesk workflows create --name ...")
    else:
        table(["ID", "NAME", "KIND", "AGENTS", "REV", "UPDATED"],
              [(w.id, w.name, w.kind, ", ".join(_roles(w)), w.revision, w.updated_at)
               for w in found])
    return 0


def _roles(spec: WorkflowSpec) -> list[str]:
    return [*spec.agents, *([f"{spec.synthesis} (synthesis)"] if spec.synthesis else [])]


def show_workflow(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_workflow(store, args.workflow)
    assert spec.id is not None
    revisions = workflow_ops.history(store, spec.id)
    missing = workflow_ops.missing_agents(store, spec)
    if args.json:
        print_json({"workflow": spec, "missing_agents": missing,
                    "revisions": [{"revision": r.revision,
                                   "created_at": r.created_at.isoformat(),
                                   "agents": r.spec.agents} for r in revisions]})
        return 0
    fields([("Name", spec.name), ("ID", spec.id), ("Kind", spec.kind),
            ("Agents", spec.agents), ("Synthesis", spec.synthesis or "-"),
            ("Max depth", spec.max_depth if spec.kind == "handoff" else "-"),
            ("Revision", spec.revision), ("Created", spec.created_at),
            ("Updated", spec.updated_at)])
    if missing:
        warn("missing agents: " + ", ".join(missing))
    say("Description:")
    indented(spec.description or "(none)")
    say("Revisions:")
    for revision in revisions:
        indented(f"{revision.revision}  {revision.created_at.isoformat()}  "
                 f"{' → '.join(revision.spec.agents)}")
    return 0


def delete_workflow(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_workflow(store, args.workflow)
    assert spec.id is not None
    gone = workflow_ops.delete(store, spec.id)
    if args.json:
        print_json({"deleted": gone.id, "name": gone.name})
    else:
        say(f"deleted workflow {gone.name!r}")
    return 0


def export_workflow(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_workflow(store, args.workflow)
    if args.output is None:
        sys.stdout.write(workflow_ops.export_text(store, spec))
        return 0
    path = workflow_ops.export_workflow(store, spec, Path(args.output))
    if args.json:
        print_json({"path": str(path), "workflow": spec.name})
    else:
        say(f"wrote {path}")
    return 0


def import_workflow(args: argparse.Namespace, store: Store) -> int:
    try:
        imported = workflow_ops.import_workflow(store, Path(args.file))
    except (WorkflowFileError, workflow_ops.WorkflowProblem) as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({"workflow": imported.workflow, "created_agents": imported.created_agents,
                    "missing_providers": imported.missing_providers})
        return 0
    renamed = imported.workflow.name != imported.requested_name
    say(f"imported workflow {imported.workflow.name!r}"
        + (f" ({imported.requested_name!r} was taken)" if renamed else ""))
    if imported.created_agents:
        say("created agents: " + ", ".join(imported.created_agents))
    if imported.missing_providers:
        warn("providers not configured here: " + ", ".join(imported.missing_providers))
    return 0
