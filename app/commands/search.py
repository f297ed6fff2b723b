"""``agentdesk search QUERY``: full-text search over every message."""

from __future__ import annotations

import argparse

from app.commands.common import positive_int, resolve_agent
from app.commands.output import format_time, match_markers, print_json, say, say_marked
from app.domain.search import HIGHLIGHT_END, HIGHLIGHT_START
from app.store import Store
from app.store.search_reader import SearchReader


def register(subparsers, common: argparse.ArgumentParser) -> None:
    search = subparsers.add_parser("search", parents=[common],
                                   help="search all messages (best matches first; newest first "
                                   "when a word is in too many messages to rank)")
    search.add_argument("query", metavar="QUERY",
                        help="words to find; operators and punctuation are taken literally")
    search.add_argument("--agent", metavar="NAME|ID", help="only this agent's conversations")
    search.add_argument("--limit", type=positive_int, default=20, metavar="N",
                        help="show at most N hits (default 20)")
    search.set_defaults(handler=search_messages)


def search_messages(args: argparse.Namespace, store: Store) -> int:
    agent_id = resolve_agent(store, args.agent).id if args.agent else None
    # The same read-only reader the window uses (reads never block a writer).
    with SearchReader(store.path) as reader:
        page = reader.search(args.query, limit=args.limit, agent_id=agent_id)
    hits = page.hits
    names = {agent.id: agent.name for agent in store.agents.list()}
    if args.json:
        # The snippet keeps the store's \u0002/\u0003 match markers; snippet_plain has none.
        print_json([{**hit.model_dump(mode="json"), "snippet_plain": hit.plain_snippet,
                     "agent_name": names.get(hit.agent_id)} for hit in hits])
        return 0
    if not hits:
        say("no matches")
        return 0
    if page.capped:
        say(f"over {page.matches:,} matches: newest first (too many to rank)")
    start, end = match_markers()
    for hit in hits:
        say(f"conversation {hit.conversation_id} · {hit.conversation_title} · "
            f"{names.get(hit.agent_id, hit.agent_id)} · {hit.role} · "
            f"{format_time(hit.created_at)} · message {hit.message_id}")
        say_marked("    " + " ".join(hit.snippet.split()), (HIGHLIGHT_START, HIGHLIGHT_END),
                   (start, end))
    return 0
