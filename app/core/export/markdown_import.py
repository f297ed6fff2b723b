"""Reading Markdown back: our own export (without loss), or a generic transcript.

Our export carries each conversation's and message's data in an HTML comment
before it, with the content's length in characters, so content that itself
looks like a heading or a comment cannot confuse the reader. A generic
transcript is split at role headings (``## User``, ``### Assistant``, ``## You``
...), ignoring headings inside code fences.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from app.core.export import markdown_format as md
from app.core.export.json_format import parse_entry
from app.core.export.memory_budget import MemoryBudget, spend_messages
from app.core.export.model import ImportRejected, ParsedConversation, source_fingerprint
from app.core.export.validation import (
    DEFAULT_LIMITS,
    ImportLimits,
    Invalid,
    check_text,
    clean_title,
    loads,
)
from app.domain import Conversation, Message
from app.domain.clock import utc_now

_MARKER_RE = re.compile(
    r"^(<!-- agentdesk:(?:conversation|message) )(\{.*\})( -->)[ \t]*$", re.MULTILINE)
_ROLE_WORDS = {
    "user": "user", "you": "user", "human": "user", "me": "user", "prompt": "user",
    "assistant": "assistant", "ai": "assistant", "chatgpt": "assistant", "bot": "assistant",
    "model": "assistant", "claude": "assistant", "gemini": "assistant",
    "response": "assistant", "system": "system",
}
_ROLE_HEADING_RE = re.compile(
    r"^#{1,4}[ \t]+(?:\*\*|__)?[^\w\n]{0,3}[ \t]*([A-Za-z]+)\b(?:\*\*|__)?[^\n]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TITLE_RE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$")
# The lines _split_turns looks at: headings (role or title) and code fences.
_SIGNIFICANT_LINE_RE = re.compile(r"^(?:#{1,4}[ \t]| {0,3}(?:`{3}|~{3})).*$", re.MULTILINE)
_DATA_COMMENT = md.MESSAGE_PREFIX


def is_our_markdown(text: str) -> bool:
    start = 1 if text.startswith("\ufeff") else 0   # no lstrip: it copies the text
    return text.startswith(md.MARKER, start)


def parse_our_markdown(text: str, limits: ImportLimits = DEFAULT_LIMITS,
                       budget: MemoryBudget | None = None
                       ) -> tuple[list[ParsedConversation], list[tuple[str, str]]]:
    # Each data comment becomes a message: charge them all before reading any
    # (200 MB of tiny comments would otherwise be millions of models).
    spend_messages(budget, text.count(_DATA_COMMENT))
    entries: list[dict] = []
    broken: list[tuple[str, str]] = []
    pos = 0
    while True:
        match = _MARKER_RE.search(text, pos)
        if match is None:
            break
        try:
            data = loads(match.group(2))
        except (ValueError, RecursionError):
            data = None
        pos = match.end()
        if not isinstance(data, dict):
            broken.append(("(unreadable)", f"an unreadable data comment at offset "
                                           f"{match.start()}"))
            continue
        if match.group(1) == md.CONVERSATION_PREFIX:
            entries.append({"conversation": data, "agent": data.get("agent"),
                            "messages": []})
            continue
        if not entries:
            broken.append(("(none)", "a message before any conversation"))
            continue
        skip = data.pop("skip", None)
        exact = True
        if data.get("role") != "tool":
            data["content"], pos, exact = _content_after(text, match.end(),
                                                         data.pop("chars", None))
        end = match.end() + 1 + skip if _is_count(skip) else -1
        # Step over the text we generated, unless the file was edited by hand.
        if exact and pos <= end <= len(text) and text.startswith("\n", end):
            pos = end
        entries[-1]["messages"].append(data)
    if not entries:
        raise ImportRejected("the Markdown file holds no AgentDesk conversation")
    parsed, skipped = [], list(broken)
    for number, entry in enumerate(entries, 1):
        try:
            parsed.append(parse_entry(entry, limits))   # messages charged above
        except Invalid as exc:
            title = entry["conversation"].get("title")
            skipped.append((clean_title(title, limits, f"conversation {number}"), str(exc)))
    return parsed, skipped


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _content_after(text: str, start: int, chars: object) -> tuple[str, int, bool]:
    """(content, end, exact) of a message whose marker line ends at ``start``;
    exact is False when the file was edited and the content was guessed."""
    heading_end = text.find("\n", start + 1)
    body = heading_end + 2  # after the heading line and the blank line
    if (heading_end >= 0 and text.startswith("\n### ", start)
            and text.startswith("\n\n", heading_end) and _is_count(chars)
            and chars <= len(text) - body):
        end = body + chars
        if end == len(text) or text[end] == "\n":
            return text[body:end], end, True
    # Hand-edited: the content runs to the next data comment.
    nxt = _MARKER_RE.search(text, start)
    stop = nxt.start() if nxt else len(text)
    segment = text[start:stop].strip("\n")
    lines = segment.split("\n")
    if lines and lines[0].startswith("### "):
        lines = lines[1:]
    segment = "\n".join(lines)
    cut = segment.find("\n<details>\n<summary>Tool call:")
    if cut >= 0:
        segment = segment[:cut]
    return segment.strip("\n").removesuffix("\n---").strip("\n"), stop, False


def parse_generic_markdown(text: str, name: str, limits: ImportLimits = DEFAULT_LIMITS,
                           budget: MemoryBudget | None = None
                           ) -> tuple[list[ParsedConversation], list[tuple[str, str]]]:
    """One conversation from a transcript with role headings."""
    title, turns = _split_turns(text, budget)
    if not turns:
        raise ImportRejected(f"{name} has no role headings (such as '## User' and "
                             "'## Assistant'): not a conversation transcript")
    title = clean_title(title or PurePath(name).stem, limits)
    try:
        for number, (_, content) in enumerate(turns, 1):
            check_text(content, f"message {number}", limits.max_message_chars)
        if len(turns) > limits.max_messages:
            raise Invalid(f"{len(turns):,} messages; the limit is {limits.max_messages:,}")
    except Invalid as exc:
        return [], [(title, str(exc))]
    now = utc_now()
    conversation = Conversation(agent_id=0, title=title, created_at=now, updated_at=now)
    messages = [Message(conversation_id=0, role=role, content=content, created_at=now,
                        updated_at=now) for role, content in turns]
    fingerprint = source_fingerprint("markdown", {"title": title, "turns": turns})
    return [ParsedConversation(conversation, messages, fingerprint,
                               source_times=False)], []


def _split_turns(text: str, budget: MemoryBudget | None = None
                 ) -> tuple[str | None, list[tuple[str, str]]]:
    """(title, [(role, content)]). Only heading and fence lines matter, so only
    those are visited (found by one regular expression); a turn's content is
    the slice of text between its heading and the next one (never a list of
    every line: 200 MB of short lines would be millions of strings)."""
    text = text.replace("\r\n", "\n")
    title: str | None = None
    heads: list[tuple[str, int, int]] = []   # (role, heading start, content start)
    fence = ""
    for line_match in _SIGNIFICANT_LINE_RE.finditer(text):
        line = line_match.group()
        opening = _FENCE_RE.match(line)
        if opening:
            mark = opening.group(1)
            if not fence:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip(
                    ).lstrip(mark[0]):
                fence = ""
        elif not fence:
            role = _role_of(line)
            if role:
                spend_messages(budget, 1)
                heads.append((role, line_match.start(), line_match.end() + 1))
                continue
            if title is None and not heads:
                found = _TITLE_RE.match(line)
                if found:
                    title = found.group(1)
    result = []
    for number, (role, _, start) in enumerate(heads):
        stop = heads[number + 1][1] - 1 if number + 1 < len(heads) else len(text)
        content = text[start:stop].strip("\n") if start < stop else ""
        content = re.sub(r"\n+-{3,}\s*$", "", content).strip("\n")
        if content:
            result.append((role, content))
    return title, result


def _role_of(line: str) -> str | None:
    match = _ROLE_HEADING_RE.match(line)
    if match is None:
        return None
    return _ROLE_WORDS.get(match.group(1).lower())
