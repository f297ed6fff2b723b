"""Import conversations from a file: detect the format, validate, dedupe, write.

Import never changes existing data: every conversation becomes a new one.
Each file is one transaction: a file that cannot be read or has the wrong shape
writes nothing; inside a good file, a bad conversation is skipped with a reason
and the rest are imported. A conversation imported before (same fingerprint),
or already present (same title, start and content), is skipped as a duplicate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from app.core.export import json_format, markdown_import
from app.core.export.agent_grants import withhold_grants
from app.core.export.chatgpt import is_chatgpt, parse_chatgpt
from app.core.export.memory_budget import MemoryBudget
from app.core.export.model import (
    ImportedConversation,
    ImportRejected,
    ImportReport,
    ParsedConversation,
    SkippedConversation,
    content_fingerprint,
    tree_of,
)
from app.core.export.openwebui import is_openwebui, parse_openwebui
from app.core.export.validation import DEFAULT_LIMITS, ImportLimits, parse_json, read_source
from app.domain import AgentSpec
from app.store import Store

DEFAULT_AGENT_NAME = "Imported"
# The first character after a BOM and white space (without copying the text,
# as lstrip would for a 200 MB file that starts with a newline).
_FIRST_CHARACTER = re.compile(r"[\ufeff \t\r\n]*(.)", re.DOTALL)

Parsed = tuple[str, list[ParsedConversation], list[tuple[str, str]], list[str]]


def import_file(store: Store, path: Path | str, *, agent_name: str | None = None,
                limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    """Import every conversation in ``path``; raises ImportRejected for a file
    that cannot be imported at all (nothing is written then)."""
    path = Path(path)
    text = read_source(path, limits)
    parsed = parse_source(text, path.name, limits)
    del text  # the parsed conversations hold what they need; free the rest early
    return _write(store, parsed, path.name, agent_name)


def import_text(store: Store, text: str, name: str, *, agent_name: str | None = None,
                limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    return _write(store, parse_source(text, name, limits), name, agent_name)


def _write(store: Store, parsed_source: Parsed, name: str,
           agent_name: str | None) -> ImportReport:
    fmt, parsed, skipped, notes = parsed_source
    chosen = None
    if agent_name is not None:
        chosen = store.agents.find_by_name(agent_name)
        if chosen is None:
            raise ImportRejected(f"no agent named {agent_name!r} "
                                 "(see: agentdesk agents list)")
    report = ImportReport(source=name, format=fmt, notes=list(notes))
    report.skipped = [SkippedConversation(title, reason) for title, reason in skipped]
    fresh = _without_duplicates(store, parsed, report)
    agents: dict[str, AgentSpec] = {}
    with store.imports.atomic():
        for item in fresh:
            agent = chosen or _agent_for(store, item.agent, agents, report)
            conversation = item.conversation.model_copy(update={"agent_id": agent.id})
            new_id = store.imports.add_conversation(
                conversation, item.messages, fingerprint=item.fingerprint,
                source=f"{fmt}:{name}"[:500], parents=item.parents,
                active_leaf=item.active_leaf)
            report.imported.append(ImportedConversation(item.title, new_id, agent.name,
                                                        len(item.messages)))
            report.notes.extend(f"{item.title}: {note}" for note in item.notes)
    return report


def parse_source(text: str, name: str, limits: ImportLimits = DEFAULT_LIMITS) -> Parsed:
    """(format, conversations, [(title, reason) skipped], notes) of a file's text.

    What the file would cost in memory is estimated and charged to a budget
    (memory_budget.py) before each big step builds it."""
    budget = MemoryBudget.for_size(len(text), limits.memory_ratio, limits.memory_floor,
                                   name)
    start = _FIRST_CHARACTER.match(text)
    head = start.group(1) if start else ""
    if head in ("{", "["):
        return _parse_json_source(parse_json(text, name, budget), name, limits, budget)
    if markdown_import.is_our_markdown(text):
        parsed, skipped = markdown_import.parse_our_markdown(text, limits, budget)
        return "agentdesk-markdown", parsed, skipped, []
    parsed, skipped = markdown_import.parse_generic_markdown(text, name, limits, budget)
    return "markdown", parsed, skipped, []


def _parse_json_source(data: Any, name: str, limits: ImportLimits,
                       budget: MemoryBudget) -> Parsed:
    if json_format.is_our_document(data):
        parsed, skipped = json_format.parse_document(data, limits, budget)
        return "agentdesk-json", parsed, skipped, []
    if isinstance(data, dict) and data.get("format") == json_format.AGENT_FORMAT:
        raise ImportRejected(f"{name} is an agent file, not conversations "
                             "(import it with: agentdesk agents import FILE)")
    if is_chatgpt(data):
        return ("chatgpt", *parse_chatgpt(data, limits, budget))
    if is_openwebui(data):
        return ("openwebui", *parse_openwebui(data, limits, budget))
    raise ImportRejected(f"{name} is JSON but not a known conversation export (expected "
                         "an AgentDesk export, a ChatGPT conversations.json or an "
                         "Open WebUI chat export)")


def _without_duplicates(store: Store, parsed: list[ParsedConversation],
                        report: ImportReport) -> list[ParsedConversation]:
    known = store.imports.find_fingerprints(p.fingerprint for p in parsed)
    seen: set[str] = set()
    fresh = []
    for item in parsed:
        if item.fingerprint in known:
            reason = (f"already imported (conversation {known[item.fingerprint]}); "
                      "import never duplicates a conversation")
        elif item.fingerprint in seen:
            reason = "appears twice in this file"
        else:
            existing = _same_conversation(store, item) if item.source_times else None
            reason = (f"already in this database (conversation {existing})"
                      if existing is not None else "")
        seen.add(item.fingerprint)
        if reason:
            report.skipped.append(SkippedConversation(item.title, reason))
        else:
            fresh.append(item)
    return fresh


def _same_conversation(store: Store, item: ParsedConversation) -> int | None:
    """An existing conversation with this title, start and content, if any."""
    wanted = None
    for candidate in store.imports.same_start(item.title, item.conversation.created_at):
        if wanted is None:
            wanted = content_fingerprint(item.conversation, item.messages, item.parents)
        stored = store.conversations.get(candidate)
        messages = store.messages.all(candidate)
        if content_fingerprint(stored, messages, tree_of(messages)) == wanted:
            return candidate
    return None


def _agent_for(store: Store, snapshot: AgentSpec | None, cache: dict[str, AgentSpec],
               report: ImportReport) -> AgentSpec:
    """The agent named in the snapshot (created if missing), else "Imported"."""
    spec = snapshot or AgentSpec(name=DEFAULT_AGENT_NAME)
    key = spec.name.casefold()
    if key in cache:
        return cache[key]
    agent = store.agents.find_by_name(spec.name)
    if agent is None:
        # A snapshot is untrusted: it never brings a workspace folder (a path
        # from another machine could point anywhere on this one) nor a tool
        # policy looser than the defaults (agent_grants.py).
        safe, withheld = withhold_grants(spec)
        if withheld.workspace is not None:
            report.notes.append(f"agent {spec.name!r}: its workspace folder "
                                f"{withheld.workspace!r} was not kept")
        if withheld.policies:
            report.notes.append(
                f"agent {spec.name!r}: tool permissions not imported (set them in the "
                f"agent's settings if you want them): {'; '.join(withheld.lines())}")
        agent = store.agents.create(safe.model_copy(update={"id": None}))
        report.agents_created.append(agent.name)
    cache[key] = agent
    return agent
