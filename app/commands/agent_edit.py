"""``agentdesk agents edit|rename``, and the generation flags that ``agents
create`` shares with ``edit``.

``edit`` changes only the fields given on the command line and stores the
result as a new revision (nothing given, or nothing different: no new
revision). Generation settings: ``--top-p``, ``--repeat-penalty``,
``--context-length`` and ``--seed`` set a value (``edit`` also accepts
``default`` to go back to the provider's own); ``--no-seed`` and ``--no-stop``
clear; ``--stop S`` (repeatable) replaces the stop sequences.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from app.commands.common import (
    CliError,
    describe_validation_error,
    resolve_agent,
    save_agent_changes,
)
from app.commands.output import print_json, say, warn
from app.domain import AgentSpec
from app.domain.generation import SETTING_LABELS, GenerationSettings
from app.ops import agents as agent_ops
from app.store import Store

log = logging.getLogger(__name__)

DEFAULT_WORD = "default"  # ``--top-p default``: back to the provider's default

# How the fields are spelled on the command line, for error messages.
OPTION_NAMES = {
    "name": "--name", "provider": "--provider", "model": "--model",
    "system_prompt": "--system", "temperature": "--temperature",
    "max_tokens": "--max-tokens", "tools": "--tool", "api_tools": "--api-tool",
    "top_p": "--top-p", "repeat_penalty": "--repeat-penalty",
    "context_length": "--context-length", "seed": "--seed", "stop": "--stop",
}


class _Unset:
    """``default`` given for a generation flag (distinct from "not given")."""

    def __repr__(self) -> str:
        return DEFAULT_WORD


UNSET = _Unset()


def _number(kind: Callable[[str], Any], what: str, allow_default: bool):
    def parse(text: str) -> Any:
        if allow_default and text.strip().lower() == DEFAULT_WORD:
            return UNSET
        try:
            return kind(text)
        except ValueError:
            extra = f" or {DEFAULT_WORD!r}" if allow_default else ""
            raise argparse.ArgumentTypeError(f"expected {what}{extra}, got {text!r}") from None
    return parse


def add_generation_flags(parser: argparse.ArgumentParser, *, editing: bool) -> None:
    """The generation settings' flags (``editing``: also ``default`` and the
    ``--no-…`` flags that clear a setting)."""
    tail = f"; {DEFAULT_WORD!r}: the provider's default" if editing else ""
    parser.add_argument("--top-p", type=_number(float, "a number", editing), metavar="X",
                        help=f"nucleus sampling, 0.0–1.0{tail}")
    parser.add_argument("--repeat-penalty", type=_number(float, "a number", editing),
                        metavar="X", help=f"penalty for repeated tokens, e.g. 1.1 "
                        f"(above 0, at most 2){tail}")
    parser.add_argument("--context-length", type=_number(int, "a whole number", editing),
                        metavar="N", help=f"context window in tokens (Ollama num_ctx, "
                        f"embedded engine){tail}")
    seed = parser.add_mutually_exclusive_group() if editing else parser
    seed.add_argument("--seed", type=_number(int, "a whole number", False), metavar="N",
                      help="fixed sampling seed (the same seed and prompt give the same "
                      "reply)")
    if editing:
        seed.add_argument("--no-seed", action="store_true",
                          help="no fixed seed (a fresh one per reply)")
    stop = parser.add_mutually_exclusive_group() if editing else parser
    stop.add_argument("--stop", action="append", metavar="S",
                      help="stop sequence (repeatable, up to 4)"
                      + ("; replaces the current ones" if editing else ""))
    if editing:
        stop.add_argument("--no-stop", action="store_true", help="no stop sequences")


def generation_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The generation settings the flags change (None = back to the default)."""
    changes: dict[str, Any] = {}
    for field in ("top_p", "repeat_penalty", "context_length", "seed"):
        value = getattr(args, field, None)
        if value is not None:
            changes[field] = None if value is UNSET else value
    if getattr(args, "no_seed", False):
        changes["seed"] = None
    if args.stop is not None:
        changes["stop"] = args.stop
    if getattr(args, "no_stop", False):
        changes["stop"] = []
    return changes


def generation_from(args: argparse.Namespace,
                    base: GenerationSettings | None = None) -> GenerationSettings:
    """``base`` (default: none set) with the flags' changes; CliError if invalid."""
    values = (base or GenerationSettings()).compact()
    values.update(generation_changes(args))
    try:
        return GenerationSettings(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, GenerationSettings,
                                                 OPTION_NAMES)) from None


def register(commands, common: argparse.ArgumentParser) -> None:
    edit = commands.add_parser(
        "edit", parents=[common], help="change an agent (a new revision)",
        description="Change only the given fields of an agent; the result is stored "
                    "as a new revision (see the History tab in the window).")
    edit.add_argument("agent", metavar="NAME|ID")
    edit.add_argument("--name", metavar="NEW", help="rename the agent")
    edit.add_argument("--system", metavar="TEXT", help="system prompt")
    edit.add_argument("--provider", metavar="P", help="a configured provider's name")
    edit.add_argument("--model", metavar="M")
    edit.add_argument("--temperature", type=float, metavar="T",
                      help="sampling temperature, 0.0–2.0")
    edit.add_argument("--max-tokens", type=int, metavar="N",
                      help="reply length limit in tokens")
    add_generation_flags(edit, editing=True)
    tools = edit.add_mutually_exclusive_group()
    tools.add_argument("--tool", action="append", metavar="NAME",
                       help="enable a tool (repeatable); replaces the current tools")
    tools.add_argument("--no-tools", action="store_true", help="no tools")
    isolation = edit.add_mutually_exclusive_group()
    isolation.add_argument(
        "--python-without-isolation", action="store_true",
        help="let the python tool run where real isolation is unavailable (macOS, "
             "Windows, no user namespaces, running as root); prints what that means")
    isolation.add_argument("--python-isolated-only", action="store_true",
                           help="the python tool runs only with real isolation (default)")
    over_api = edit.add_mutually_exclusive_group()
    over_api.add_argument(
        "--api-tool", action="append", metavar="NAME",
        help="let this tool that asks first run when the agent is used over the local "
             "HTTP API (nobody can be asked there; repeatable): a name as the agent's "
             "tool list has it — a tool, a group such as 'files' (all its tools) or "
             "mcp:SERVER; replaces the current list")
    over_api.add_argument("--no-api-tools", action="store_true",
                          help="over the API, refuse every tool that asks first (default)")
    edit.set_defaults(handler=edit_agent)

    rename = commands.add_parser("rename", parents=[common], help="rename an agent")
    rename.add_argument("agent", metavar="NAME|ID")
    rename.add_argument("new_name", metavar="NEW")
    rename.set_defaults(handler=rename_agent)


def edit_agent(args: argparse.Namespace, store: Store) -> int:
    from app.commands.agents import check_providers

    current = resolve_agent(store, args.agent)
    changes: dict[str, Any] = {}
    for field, value in (("name", args.name), ("system_prompt", args.system),
                         ("provider", args.provider), ("model", args.model),
                         ("temperature", args.temperature),
                         ("max_tokens", args.max_tokens)):
        if value is not None:
            changes[field] = value
    if args.tool is not None:
        changes["tools"] = args.tool
    if args.no_tools:
        changes["tools"] = []
    if args.api_tool is not None:
        changes["api_tools"] = agent_ops.api_tool_names(args.api_tool)
    if args.no_api_tools:
        changes["api_tools"] = []
    if generation_changes(args):
        changes["generation"] = generation_from(args, current.generation)
    if args.python_without_isolation or args.python_isolated_only:
        changes["python_unisolated"] = bool(args.python_without_isolation)
    if changes.get("python_unisolated") and not current.python_unisolated:
        from app.core.tools.python_exec import unisolated_warning

        warn(f"warning: {unisolated_warning()}")
    if not changes:
        raise CliError("nothing to change — give at least one option "
                       "(see: agentdesk agents edit --help)")
    try:
        edited = AgentSpec.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, AgentSpec, OPTION_NAMES)) from None
    if "provider" in changes:
        edited = check_providers(store, edited)
    saved = save_agent_changes(store, edited)
    _report(args, store, current, saved)
    return 0


def rename_agent(args: argparse.Namespace, store: Store) -> int:
    current = resolve_agent(store, args.agent)
    try:
        renamed = current.model_copy(update={"name": args.new_name})
        renamed = AgentSpec.model_validate(renamed.model_dump())
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, AgentSpec, {"name": "NEW"})) from None
    saved = save_agent_changes(store, renamed)
    _report(args, store, current, saved)
    return 0


def _report(args: argparse.Namespace, store: Store, before: AgentSpec,
            after: AgentSpec) -> None:
    changed = after.revision != before.revision
    if changed:
        log.info("agent edited id=%s revision=%s", after.id, after.revision)
    if args.json:
        print_json(after)
    elif changed:
        say(f"updated agent {after.name!r} (id {after.id}, revision {after.revision})")
    else:
        say(f"agent {after.name!r} unchanged (revision {after.revision})")
    if (before.provider, before.generation) != (after.provider, after.generation):
        note_unsent(store, after)


def note_unsent(store: Store, spec: AgentSpec) -> None:
    """Note on stderr the settings the agent's provider does not take (they
    are kept, in case the agent moves to a provider that does, but not sent)."""
    config = store.providers.find_by_name(spec.provider) if spec.provider else None
    if config is None or not spec.generation.set_names():
        return
    from app.core.generation_support import unsent_settings

    unsent = unsent_settings(spec.generation, config.kind)
    if unsent:
        names = ", ".join(SETTING_LABELS[name].lower() for name in unsent)
        warn(f"provider {config.name!r} ({config.kind}) does not take {names}: "
             "kept, but not sent")
