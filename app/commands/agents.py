"""``agentdesk agents create|list|show|delete`` (export/import: agent_files.py;
edit/rename and the generation flags: agent_edit.py)."""

from __future__ import annotations

import argparse
import json
import logging

from pydantic import ValidationError

from app.commands import agent_edit, agent_files
from app.commands.common import (
    CliError,
    agent_name_taken,
    describe_validation_error,
    resolve_agent,
    save_new_agent,
)
from app.commands.output import fields, indented, print_json, say, table
from app.domain import AgentSpec, FallbackTarget
from app.domain.generation import SETTING_LABELS
from app.ops import agents as agent_ops
from app.store import DuplicateNameError, Store

log = logging.getLogger(__name__)

# How AgentSpec fields are spelled on the command line, for error messages.
OPTION_NAMES = {
    "name": "--name", "provider": "--provider", "model": "--model",
    "system_prompt": "--system", "temperature": "--temperature",
    "max_tokens": "--max-tokens", "tools": "--tool", "fallbacks": "--fallback",
    **agent_edit.OPTION_NAMES,
}


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("agents", help="create and manage agents")
    commands = group.add_subparsers(dest="agents_command", metavar="COMMAND",
                                    required=True)

    create = commands.add_parser("create", parents=[common], help="create an agent")
    create.add_argument("--name", required=True)
    create.add_argument("--provider", required=True, help="a configured provider's name")
    create.add_argument("--model", required=True)
    create.add_argument("--system", default="", metavar="TEXT", help="system prompt")
    create.add_argument("--tool", action="append", default=[], metavar="NAME",
                        help="enable a tool (repeatable)")
    create.add_argument("--temperature", type=float, metavar="T",
                        help="sampling temperature, 0.0–2.0 (default 0.7)")
    create.add_argument("--max-tokens", type=int, metavar="N",
                        help="reply length limit in tokens (default 2048)")
    create.add_argument("--no-stream", action="store_true", help="do not stream replies")
    create.add_argument("--local-only", action="store_true",
                        help="never send this agent's data to a non-local provider")
    create.add_argument("--fallback", action="append", default=[],
                        metavar="PROVIDER:MODEL", help="fallback target (repeatable, in order)")
    agent_edit.add_generation_flags(create, editing=False)
    create.set_defaults(handler=create_agent)

    commands.add_parser("list", parents=[common], help="list agents").set_defaults(
        handler=list_agents)

    show = commands.add_parser("show", parents=[common], help="show one agent")
    show.add_argument("agent", metavar="NAME|ID")
    show.set_defaults(handler=show_agent)

    delete = commands.add_parser(
        "delete", parents=[common],
        help="delete an agent with all its conversations and messages")
    delete.add_argument("agent", metavar="NAME|ID")
    delete.set_defaults(handler=delete_agent)

    duplicate = commands.add_parser(
        "duplicate", parents=[common],
        help="copy an agent's settings to a new agent (no chats), named '<name> (copy)'")
    duplicate.add_argument("agent", metavar="NAME|ID")
    duplicate.add_argument("--name", metavar="NEW", help="the copy's name")
    duplicate.set_defaults(handler=duplicate_agent_command)

    agent_edit.register(commands, common)
    agent_files.register(commands, common)


def parse_fallback(text: str) -> FallbackTarget:
    """``PROVIDER:MODEL``; split at the first colon, since model ids contain colons."""
    provider, sep, model = text.partition(":")
    if not sep or not provider.strip() or not model.strip():
        raise CliError(f"invalid --fallback {text!r}: expected PROVIDER:MODEL")
    return FallbackTarget(provider=provider.strip(), model=model.strip())


def check_providers(store: Store, spec: AgentSpec) -> AgentSpec:
    """Every provider the agent names must exist; a local-only agent only local ones.

    Returns the spec with provider names spelled as they are configured.
    """
    def lookup(name: str):
        config = store.providers.find_by_name(name)
        if config is None:
            raise CliError(f"unknown provider {name!r} — add it with: "
                           f"agentdesk providers add {name} --kind ...")
        if spec.local_only and not config.is_local:
            raise CliError(f"agent is --local-only but provider {config.name!r} is not local")
        return config

    main = lookup(spec.provider)
    fallbacks = [target.model_copy(update={"provider": lookup(target.provider).name})
                 for target in spec.fallbacks]
    return spec.model_copy(update={"provider": main.name, "fallbacks": fallbacks})


def create_agent(args: argparse.Namespace, store: Store) -> int:
    values = {
        "name": args.name, "provider": args.provider, "model": args.model,
        "system_prompt": args.system, "tools": args.tool,
        "fallbacks": [parse_fallback(text) for text in args.fallback],
        "streaming": not args.no_stream, "local_only": args.local_only,
        "generation": agent_edit.generation_from(args),
    }
    if args.temperature is not None:
        values["temperature"] = args.temperature
    if args.max_tokens is not None:
        values["max_tokens"] = args.max_tokens
    try:
        spec = AgentSpec(**values)
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, AgentSpec, OPTION_NAMES)) from None
    spec = check_providers(store, spec)
    created = save_new_agent(store, spec)
    if args.json:
        print_json(created)
    else:
        say(f"created agent {created.name!r} (id {created.id}, revision {created.revision})")
    agent_edit.note_unsent(store, created)
    return 0


def list_agents(args: argparse.Namespace, store: Store) -> int:
    agents = agent_ops.list_agents(store)
    if args.json:
        print_json(agents)
    elif not agents:
        say("no agents yet — create one with: agentdesk agents create --name ..., "
            "or let agentdesk setup find a chat model")
    else:
        table(["ID", "NAME", "PROVIDER", "MODEL", "TEMP", "REV", "UPDATED"],
              [(a.id, a.name, a.provider, a.model, a.temperature, a.revision, a.updated_at)
               for a in agents])
    return 0


def show_agent(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_agent(store, args.agent)
    if args.json:
        print_json(spec)
        return 0
    fields([
        ("Name", spec.name), ("ID", spec.id), ("Revision", spec.revision),
        ("Provider", spec.provider), ("Model", spec.model),
        ("Temperature", spec.temperature), ("Max tokens", spec.max_tokens),
        ("Streaming", spec.streaming), ("Local only", spec.local_only),
        ("Tools", spec.tools),
        ("Fallbacks", [f"{f.provider}:{f.model}" for f in spec.fallbacks]),
        ("Memory turns", "all that fit" if spec.max_turns is None else spec.max_turns),
        *generation_rows(spec),
        ("Created", spec.created_at), ("Updated", spec.updated_at),
    ])
    say("System prompt:")
    indented(spec.system_prompt or "(none)")
    return 0


def generation_rows(spec: AgentSpec) -> list[tuple[str, object]]:
    """The generation settings as ``show`` lines (stop sequences JSON-quoted,
    since they often are whitespace such as a blank line)."""
    settings = spec.generation
    default = "provider default"
    stop = ", ".join(json.dumps(s, ensure_ascii=False) for s in settings.stop)
    return [(SETTING_LABELS["top_p"], _or(settings.top_p, default)),
            (SETTING_LABELS["repeat_penalty"], _or(settings.repeat_penalty, default)),
            (SETTING_LABELS["context_length"], _or(settings.context_length, default)),
            (SETTING_LABELS["seed"], _or(settings.seed, "none (a fresh one per reply)")),
            (SETTING_LABELS["stop"], stop or "none")]


def _or(value: object, fallback: str) -> object:
    return fallback if value is None else value


def duplicate_agent_command(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_agent(store, args.agent)
    try:
        copy = agent_ops.duplicate(store, spec.id, name=args.name)
    except DuplicateNameError:
        raise agent_name_taken(args.name) from None
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, AgentSpec)) from None
    log.info("agent %s duplicated as %s", spec.id, copy.id)
    if args.json:
        print_json(copy)
    else:
        say(f"created agent {copy.name!r} (id {copy.id}), a copy of {spec.name!r}")
    return 0


def delete_agent(args: argparse.Namespace, store: Store) -> int:
    spec = resolve_agent(store, args.agent)
    gone = agent_ops.delete(store, spec.id)
    chats, messages = gone.chats, gone.messages
    log.info("agent deleted id=%s conversations=%d", spec.id, chats)
    if args.json:
        print_json({"deleted": spec, "conversations_removed": chats,
                    "messages_removed": messages})
    else:
        say(f"deleted agent {spec.name!r} and {chats} "
            f"conversation{'s' if chats != 1 else ''} "
            f"({messages} message{'s' if messages != 1 else ''})")
    return 0

