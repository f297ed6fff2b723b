"""Markdown export: readable as text and in any Markdown viewer.

Each message is a ``###`` heading (role, time, model) followed by its content
exactly as written. Tool calls become collapsible ``<details>`` blocks with the
arguments as pretty JSON and the tool's result. Fences we add are always
longer than any backtick run inside them, and a reply that leaves a code fence
open gets it closed after its content, so no message can swallow the rest.

Each conversation and message is preceded by an HTML comment carrying its data
as one line of JSON (invisible when rendered); ``markdown_import`` reads these
back, so our own Markdown imports without loss.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from app.core.export.model import ConversationBundle, message_record
from app.core.wording import plural
from app.domain import Message

MARKER = "<!-- agentdesk:markdown 1 -->"
CONVERSATION_PREFIX = "<!-- agentdesk:conversation "
MESSAGE_PREFIX = "<!-- agentdesk:message "
MARKER_SUFFIX = " -->"
ROLE_TITLES = {"user": "User", "assistant": "Assistant", "system": "System", "tool": "Tool"}

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_BACKTICKS_RE = re.compile(r"`+")


def comment_json(data: object) -> str:
    """One line of JSON that cannot end an HTML comment early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def fence_for(text: str, char: str = "`") -> str:
    """A fence longer than any run of ``char`` in ``text`` (at least three)."""
    runs = [len(m.group()) for m in re.finditer(re.escape(char) + "+", text)]
    return char * max(3, max(runs, default=0) + 1)


def fenced(text: str, lang: str = "") -> str:
    fence = fence_for(text)
    return f"{fence}{lang}\n{text}\n{fence}"


def open_fence_closer(text: str) -> str:
    """The line that closes a fence ``text`` leaves open ('' when none is)."""
    open_fence = ""
    for match in _FENCE_RE.finditer(text):
        fence = match.group(1)
        if not open_fence:
            open_fence = fence
        elif fence[0] == open_fence[0] and len(fence) >= len(open_fence):
            line_end = text.find("\n", match.end())
            rest = text[match.end(): line_end if line_end >= 0 else len(text)]
            if not rest.strip():
                open_fence = ""
    return open_fence


def pretty_arguments(arguments: object) -> tuple[str, str]:
    """(text, language) for a tool call's arguments."""
    if isinstance(arguments, str):
        try:
            return json.dumps(json.loads(arguments), ensure_ascii=False, indent=2), "json"
        except ValueError:
            return arguments, "text"
    return json.dumps(arguments, ensure_ascii=False, indent=2), "json"


def format_time(message_time) -> str:
    return message_time.strftime("%Y-%m-%d %H:%M:%S UTC")


def heading(message: Message) -> str:
    parts = [ROLE_TITLES.get(message.role, message.role.title()),
             format_time(message.created_at)]
    if message.model and message.model.strip():
        parts.append(" ".join(message.model.split()))  # one line, whatever it holds
    if message.status != "complete":
        parts.append(message.status)
    return "### " + " · ".join(parts)


def tool_results(messages: Sequence[Message]) -> dict[str, Message]:
    return {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}


def tool_call_block(call, result: Message | None) -> str:
    args, lang = pretty_arguments(call.arguments)
    name = call.name.replace("<", "&lt;").replace(">", "&gt;")
    lines = ["<details>",
             f"<summary>Tool call: <code>{name}</code> ({_html_text(call.call_id)})</summary>",
             "", "**Arguments**", "", fenced(args, lang), ""]
    if result is not None:
        label = "**Result (error)**" if result.error or result.status == "error" else "**Result**"
        lines += [label, "", fenced(result.content or result.error or ""), ""]
    lines.append("</details>")
    return "\n".join(lines)


def message_section(message: Message, results: dict[str, Message],
                    called: set[str]) -> str:
    """A message's Markdown. A tool result whose call is in the conversation is
    shown inside that call's block; its data rides in the comment."""
    data = message_record(message)
    if message.role == "tool":
        visible = ""
        if message.tool_call_id not in called:
            visible = "\n".join([heading(message), "", fenced(message.content), ""])
        # "skip": how much visible text follows, so the reader steps over it.
        data["skip"] = len(visible)
        return MESSAGE_PREFIX + comment_json(data) + MARKER_SUFFIX + "\n" + visible + "\n"
    content = data.pop("content")
    out = [heading(message), "", content]
    closer = open_fence_closer(content)
    if closer:
        out.append(closer)
    if message.error:
        out += ["", f"> **Error:** {' '.join(message.error.split())}"]
    if message.attachments:
        # Visible: one line per file; the files themselves ride in the comment.
        out += ["", *(f"> 📎 {_md_text(a.label)}" + (f" — {_md_text(a.note)}" if a.note else "")
                      for a in message.attachments)]
    for call in message.tool_calls:
        out += ["", tool_call_block(call, results.get(call.call_id))]
    visible = "\n".join(out)
    # "chars": the content's length (it starts after the heading and a blank
    # line); "skip": all visible text, so the reader steps over what we added.
    data["chars"] = len(content)
    data["skip"] = len(visible)
    return MESSAGE_PREFIX + comment_json(data) + MARKER_SUFFIX + "\n" + visible + "\n"


def conversation_markdown(bundle: ConversationBundle) -> str:
    c = bundle.conversation
    head = {"title": c.title, "pinned": c.pinned, "archived": c.archived,
            "created_at": c.created_at.isoformat(), "updated_at": c.updated_at.isoformat(),
            "agent": bundle.agent.portable()}
    results = tool_results(bundle.messages)
    called = {call.call_id for m in bundle.messages if m.role == "assistant"
              for call in m.tool_calls}
    title = " ".join(c.title.split()) or "Untitled"
    flags = [flag for flag, on in (("pinned", c.pinned), ("archived", c.archived)) if on]
    info = (f"*Agent: {_md_text(bundle.agent.name)} · started {format_time(c.created_at)} · "
            f"{plural(len(bundle.messages), 'message')}{' · ' + ', '.join(flags) if flags else ''}*")
    parts = [CONVERSATION_PREFIX + comment_json(head) + MARKER_SUFFIX,
             f"# {_md_text(title)}", "", info, ""]
    for message in bundle.messages:
        parts.append(message_section(message, results, called))
    return "\n".join(parts)


def export_markdown(bundles: Sequence[ConversationBundle]) -> str:
    body = "\n---\n\n".join(conversation_markdown(b) for b in bundles)
    return f"{MARKER}\n\n{body}"


def _md_text(text: str) -> str:
    """Text for a heading/emphasis line: no HTML tags, no Markdown surprises."""
    return re.sub(r"([\\`*_<>\[\]#|])", r"\\\1", text)


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
