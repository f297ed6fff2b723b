"""``agentdesk memories list|add|edit|forget --agent NAME``: the facts an agent
remembers about the user, visible and editable by the user."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from app.commands.common import CliError, positive_int, resolve_agent
from app.commands.output import print_json, say
from app.ops import memories as memory_ops
from app.store import NotFoundError, Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("memories", help="see and edit what agents remember")
    commands = group.add_subparsers(dest="memories_command", metavar="COMMAND",
                                    required=True)

    listing = commands.add_parser("list", parents=[common], help="list an agent's facts")
    listing.add_argument("--agent", required=True, metavar="NAME|ID")
    listing.set_defaults(handler=list_memories)

    add = commands.add_parser("add", parents=[common], help="add a fact")
    add.add_argument("--agent", required=True, metavar="NAME|ID")
    add.add_argument("text")
    add.set_defaults(handler=add_memory)

    edit = commands.add_parser("edit", parents=[common], help="change a fact")
    edit.add_argument("id", type=positive_int)
    edit.add_argument("text")
    edit.set_defaults(handler=edit_memory)

    forget = commands.add_parser("forget", parents=[common], help="delete a fact")
    forget.add_argument("id", type=positive_int)
    forget.set_defaults(handler=forget_memory)


def list_memories(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    memories = memory_ops.list_facts(store, agent.id)
    if args.json:
        print_json(memories)
    elif not memories:
        say(f"{agent.name} remembers nothing yet")
    for memory in [] if args.json else memories:
        say(f"{memory.id:>5}  {memory.content}")
    return 0


def add_memory(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    memory = _checked(lambda: memory_ops.add(store, agent.id, args.text))
    print_json(memory) if args.json else say(f"remembered as fact {memory.id}")
    return 0


def edit_memory(args: argparse.Namespace, store: Store) -> int:
    memory = _checked(lambda: memory_ops.edit(store, args.id, args.text))
    print_json(memory) if args.json else say(f"fact {memory.id} changed")
    return 0


def forget_memory(args: argparse.Namespace, store: Store) -> int:
    _checked(lambda: memory_ops.forget(store, args.id))
    print_json({"forgotten": args.id}) if args.json else say(f"fact {args.id} forgotten")
    return 0


def _checked(action):
    try:
        return action()
    except NotFoundError:
        raise CliError("unknown fact (see: agentdesk memories list --agent NAME)") from None
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise CliError(f"invalid fact: {problem}") from None
