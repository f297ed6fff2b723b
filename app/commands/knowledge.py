"""``agentdesk knowledge add|list|search|reindex|remove|config``: an agent's
knowledge folders (app/ops/knowledge.py) from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from app.commands.common import CliError, positive_int, resolve_agent
from app.commands.output import print_json, say, warn
from app.commands.terminal_text import terminal_text
from app.core.knowledge.search import sync_run
from app.domain import AgentSpec
from app.domain.knowledge import IndexProgress, KnowledgeSettings
from app.ops import knowledge as knowledge_ops
from app.settings import AppSettings, SettingsError, load_settings
from app.store import NotFoundError, Store


def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("knowledge", help="files and folders an agent answers from")
    commands = group.add_subparsers(dest="knowledge_command", metavar="COMMAND",
                                    required=True)

    add = commands.add_parser("add", parents=[common],
                              help="add files or folders and index them")
    add.add_argument("--agent", required=True, metavar="NAME|ID")
    add.add_argument("--no-index", action="store_true", help="add only; index later")
    add.add_argument("paths", nargs="+", metavar="PATH")
    add.set_defaults(handler=add_sources)

    listing = commands.add_parser("list", parents=[common],
                                  help="list sources (--files: every file and its status)")
    listing.add_argument("--agent", required=True, metavar="NAME|ID")
    listing.add_argument("--files", action="store_true")
    listing.set_defaults(handler=list_sources)

    search = commands.add_parser("search", parents=[common], help="search the knowledge")
    search.add_argument("--agent", required=True, metavar="NAME|ID")
    search.add_argument("--limit", type=positive_int, default=8)
    search.add_argument("--keyword-only", action="store_true",
                        help="keyword search even when an embedding model is set")
    search.add_argument("query")
    search.set_defaults(handler=search_knowledge)

    reindex = commands.add_parser("reindex", parents=[common],
                                  help="index what changed, drop what was removed")
    reindex.add_argument("--agent", required=True, metavar="NAME|ID")
    reindex.set_defaults(handler=reindex_knowledge)

    remove = commands.add_parser("remove", parents=[common], help="remove a source")
    remove.add_argument("--agent", required=True, metavar="NAME|ID")
    remove.add_argument("source", metavar="PATH|ID")
    remove.set_defaults(handler=remove_source)

    config = commands.add_parser("config", parents=[common],
                                 help="retrieval mode and embedding model of an agent")
    config.add_argument("--agent", required=True, metavar="NAME|ID")
    config.add_argument("--retrieval", choices=("off", "auto", "tool"))
    config.add_argument("--embed-provider", metavar="PROVIDER")
    config.add_argument("--embed-model", metavar="MODEL")
    config.add_argument("--no-embeddings", action="store_true",
                        help="keyword search only")
    config.add_argument("--top-k", type=positive_int)
    config.set_defaults(handler=configure)


def add_sources(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    added = []
    for path in args.paths:
        try:
            added.append(knowledge_ops.add_source(store, agent.id, path))
        except ValueError as exc:
            raise CliError(str(exc)) from None
    progress = None if args.no_index else _index(args, store, agent)
    if args.json:
        print_json({"sources": added, "index": progress})
        return 0
    for source in added:
        say(f"added {source.path}")
    if progress is not None:
        _say_progress(progress)
    return 0


def list_sources(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    settings = knowledge_ops.get_settings(store, agent.id)
    sources = knowledge_ops.sources(store, agent.id)
    files = knowledge_ops.files(store, agent.id) if args.files else None
    if args.json:
        print_json({"settings": settings, "sources": sources,
                    **({"files": files} if files is not None else {})})
        return 0
    embedding = settings.embed_key or "none (keyword search only)"
    say(f"retrieval: {settings.retrieval}; embedding model: {embedding}")
    if not sources:
        say(f"{agent.name} has no knowledge sources yet")
    for source in sources:
        say(f"{source.id:>4}  {source.path}  ({source.files} files, {source.chunks} chunks"
            f"{f', {source.errors} errors' if source.errors else ''})")
    for file in files or []:
        state = file.status if file.status == "indexed" else f"error: {file.error}"
        say(f"      {file.path}  [{state}]")
    return 0


def search_knowledge(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    settings = _settings(args)
    try:
        hits = asyncio.run(knowledge_ops.search(sync_run(store), agent, settings, args.query,
                                                limit=args.limit,
                                                keyword_only=args.keyword_only))
    except knowledge_ops.EmbedderProblem as exc:
        raise CliError(f"{exc} (or search with --keyword-only)") from None
    if args.json:
        print_json(hits)
        return 0
    if not hits:
        say("no matches")
    for number, hit in enumerate(hits, start=1):
        where = f" — {hit.location}" if hit.location else ""
        say(f"[{number}] {hit.path}{where}")
        say("    " + " ".join(hit.text.split())[:300])
    return 0


def reindex_knowledge(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    progress = _index(args, store, agent)
    print_json(progress) if args.json else _say_progress(progress)
    return 0


def remove_source(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    try:
        gone = knowledge_ops.remove_source(store, agent.id, args.source)
    except NotFoundError:
        raise CliError(f"{agent.name} has no knowledge source {args.source!r} "
                       "(see: agentdesk knowledge list)") from None
    print_json(gone) if args.json else say(f"removed {gone.path} ({gone.chunks} chunks)")
    return 0


def configure(args: argparse.Namespace, store: Store) -> int:
    agent = resolve_agent(store, args.agent)
    current = knowledge_ops.get_settings(store, agent.id)
    changes: dict[str, object] = {}
    if args.retrieval:
        changes["retrieval"] = args.retrieval
    if args.no_embeddings:
        changes.update(embed_provider="", embed_model="")
    elif args.embed_provider or args.embed_model:
        if not (args.embed_provider and args.embed_model):
            raise CliError("give both --embed-provider and --embed-model")
        changes.update(embed_provider=args.embed_provider, embed_model=args.embed_model)
    if args.top_k:
        changes["top_k"] = args.top_k
    settings = KnowledgeSettings.model_validate({**current.model_dump(), **changes})
    saved = knowledge_ops.save_settings(store, settings)
    if args.json:
        print_json(saved)
    else:
        say(f"retrieval: {saved.retrieval}; embedding model: "
            f"{saved.embed_key or 'none (keyword search only)'}; top {saved.top_k}")
    return 0


def _settings(args: argparse.Namespace) -> AppSettings:
    try:
        return load_settings(args.home)
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def _index(args: argparse.Namespace, store: Store, agent: AgentSpec) -> IndexProgress:
    settings = _settings(args)
    terminal = sys.stderr.isatty() and not args.json

    def show(progress: IndexProgress) -> None:
        if terminal:
            sys.stderr.write(terminal_text(f"\r{progress.done}/{progress.total} files")
                             + "\033[K")
            sys.stderr.flush()

    try:
        progress = asyncio.run(knowledge_ops.reindex(sync_run(store), agent, settings,
                                                     on_progress=show))
    except knowledge_ops.EmbedderProblem as exc:
        raise CliError(str(exc)) from None
    if terminal:
        sys.stderr.write("\n")
    return progress


def _say_progress(progress: IndexProgress) -> None:
    say(f"indexed {progress.indexed}, unchanged {progress.unchanged}, removed "
        f"{progress.removed}, failed {progress.failed} (of {progress.total} files)")
    for path, reason in progress.errors:
        warn(f"{path}: {reason}")
