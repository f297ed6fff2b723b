"""``agentdesk conversations list|show|archive|unarchive|delete``."""

from __future__ import annotations

import argparse
import logging

from app.commands import conversation_files
from app.commands.common import get_conversation, positive_int, resolve_agent
from app.commands.output import fields, format_time, indented, one_line, print_json, say, table
from app.domain import Message
from app.ops import agents, chats
from app.ops import messages as message_ops
from app.store import Store

log = logging.getLogger(__name__)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("conversations",
                                  help="browse, delete, export and import conversations")
    commands = group.add_subparsers(dest="conversations_command", metavar="COMMAND",
                                    required=True)

    listing = commands.add_parser("list", parents=[common],
                                  help="list conversations, newest first")
    listing.add_argument("--agent", metavar="NAME|ID", help="only this agent's")
    shown = listing.add_mutually_exclusive_group()
    shown.add_argument("--archived", "--all", dest="archived", action="store_true",
                       help="include archived conversations")
    shown.add_argument("--archived-only", action="store_true",
                       help="only archived conversations")
    listing.add_argument("--limit", type=positive_int, default=50, metavar="N",
                         help="show at most N (default 50)")
    listing.set_defaults(handler=list_conversations)

    show = commands.add_parser("show", parents=[common],
                               help="show a conversation with its messages")
    show.add_argument("id", type=positive_int, metavar="ID")
    show.set_defaults(handler=show_conversation)

    for name, archived, text in (
            ("archive", True, "archive a conversation (hidden from the lists, kept)"),
            ("unarchive", False, "bring an archived conversation back to the lists")):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("id", type=positive_int, metavar="ID")
        command.set_defaults(handler=archive_conversation, archive=archived)

    delete = commands.add_parser("delete", parents=[common],
                                 help="delete a conversation and its messages")
    delete.add_argument("id", type=positive_int, metavar="ID")
    delete.set_defaults(handler=delete_conversation)

    conversation_files.register(commands, common)  # export, import


def list_conversations(args: argparse.Namespace, store: Store) -> int:
    agent_id = resolve_agent(store, args.agent).id if args.agent else None
    conversations = chats.list_chats(store, agent_id, include_archived=args.archived,
                                     archived_only=args.archived_only, limit=args.limit)
    if args.json:
        print_json(conversations)
        return 0
    if not conversations:
        say("no archived conversations" if args.archived_only else "no conversations")
        return 0
    names = {agent.id: agent.name for agent in agents.list_agents(store)}
    table(["ID", "TITLE", "AGENT", "MESSAGES", "UPDATED", "FLAGS"],
          [(c.id, one_line(c.title, 40), names.get(c.agent_id, c.agent_id), c.message_count,
            c.updated_at, _flags(c.pinned, c.archived, c.damaged)) for c in conversations])
    return 0


def show_conversation(args: argparse.Namespace, store: Store) -> int:
    conversation = get_conversation(store, args.id)
    # The branch the window shows (regenerated replies and edits are versions;
    # the others are in ``export --format json``).
    messages = message_ops.shown_branch(store, conversation.id)
    versions = message_ops.versions(store, conversation.id, messages)
    if args.json:
        print_json({"conversation": conversation, "messages": messages})
        return 0
    agent = chats.owner(store, conversation)
    fields([("Conversation", conversation.id), ("Title", conversation.title),
            ("Agent", agent.name), ("Created", conversation.created_at),
            ("Updated", conversation.updated_at),
            ("Flags", _flags(conversation.pinned, conversation.archived,
                             conversation.damaged) or None),
            ("Messages", len(messages))])
    for message in messages:
        say()
        found = versions.get(message.id) if message.id is not None else None
        say(_message_header(message) + (f" · version {found.index} of {found.count}"
                                         if found is not None else ""))
        indented(message.content or "(empty)")
        for call in message.tool_calls:
            indented(f"→ tool call {call.name} [{call.call_id}]: {call.arguments}")
        if message.error:
            indented(f"error: {message.error}")
    return 0


def archive_conversation(args: argparse.Namespace, store: Store) -> int:
    """``archive ID`` / ``unarchive ID``; doing it twice is not an error."""
    conversation = get_conversation(store, args.id)
    changed = chats.set_archived(store, conversation.id, args.archive)
    what = "archived" if args.archive else "unarchived"
    log.info("conversation %s id=%s", what, changed.id)
    if args.json:
        print_json(changed)
    else:
        already = " (it already was)" if conversation.archived == args.archive else ""
        say(f"{what} conversation {changed.id} {changed.title!r}{already}")
    return 0


def delete_conversation(args: argparse.Namespace, store: Store) -> int:
    conversation = chats.delete(store, get_conversation(store, args.id).id)
    log.info("conversation deleted id=%s", conversation.id)
    if args.json:
        print_json({"deleted": conversation, "messages_removed": conversation.message_count})
    else:
        count = conversation.message_count
        say(f"deleted conversation {conversation.id} {conversation.title!r} "
            f"({count} message{'s' if count != 1 else ''})")
    return 0


def _message_header(message: Message) -> str:
    details = [message.status]
    if message.model:
        source = f"{message.provider}/{message.model}" if message.provider else message.model
        details.append(source)
    if message.tool_call_id:
        details.append(f"for call {message.tool_call_id}")
    return f"[{format_time(message.created_at)}] {message.role} ({', '.join(details)})"


def _flags(pinned: bool, archived: bool, damaged: str | None = None) -> str:
    """``damaged``: the stored fields that could not be read (shown, so the
    person knows why a time says 1970; the chat can still be deleted)."""
    flags = [flag for flag, on in (("pinned", pinned), ("archived", archived)) if on]
    if damaged:
        flags.append(f"damaged ({damaged})")
    return " ".join(flags)
