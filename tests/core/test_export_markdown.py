"""Markdown export: readable, fences cannot break out, our own Markdown imports back."""

from __future__ import annotations

import re
from pathlib import Path

import markdown
from hypothesis import HealthCheck, given, settings

from app.core.export import import_text, load_bundles, render
from app.core.export.markdown_format import fence_for, open_fence_closer
from app.domain import Message
from app.store import Store
from tests.core.test_export_json_roundtrip import conversations
from tests.support.export_data import (
    add_conversation,
    assert_round_trip,
    make_agent,
    rich_messages,
)


def _export(tmp_path: Path, messages: list[Message], title: str = "Greeting") -> str:
    with Store(tmp_path / "a.db") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, title, messages)
        return render(load_bundles(store), "md")


def test_markdown_is_readable_with_headings_and_tool_details(tmp_path: Path) -> None:
    text = _export(tmp_path, rich_messages())
    assert "# Greeting" in text
    headings = re.findall(r"^### (.+)$", text, re.MULTILINE)
    assert headings[0].startswith("System · 2024-05-01 12:00:00 UTC")
    assert headings[1].startswith("User · 2024-05-01 12:00:01 UTC")
    assert headings[2] == "Assistant · 2024-05-01 12:00:02 UTC · gemma3"
    assert headings[3] == "Assistant · 2024-05-01 12:00:05 UTC · gemma3 · error"
    details = re.search(r"<details>\n<summary>Tool call: <code>calculator</code> \(call_1\)"
                        r"</summary>(.*?)</details>", text, re.DOTALL)
    assert details, text
    assert '"expression": "6*7"' in details.group(1)  # pretty JSON arguments
    assert "**Result**\n\n```\n42\n```" in details.group(1)
    assert "def greet(name):" in text and "> **Error:** connection reset" in text


def test_rendered_markdown_keeps_code_and_collapsible_calls(tmp_path: Path) -> None:
    rendered = markdown.markdown(_export(tmp_path, rich_messages()),
                                 extensions=["fenced_code", "md_in_html"])
    assert "<details>" in rendered and "<summary>" in rendered
    assert '<code class="language-python">def greet(name):' in rendered


def test_fences_in_content_cannot_break_out(tmp_path: Path) -> None:
    hostile = "````\n```\nstill code\n````"
    unclosed = "Start:\n```python\nwhile True:\n    pass"
    messages = [
        Message(conversation_id=0, role="user", content=unclosed),
        Message(conversation_id=0, role="assistant", content="ok", tool_calls=[
            {"call_id": "c", "name": "run", "arguments": {"code": hostile}}]),
        Message(conversation_id=0, role="tool", tool_call_id="c", content=hostile),
        Message(conversation_id=0, role="assistant", content="after"),
    ]
    text = _export(tmp_path, messages)
    html = markdown.markdown(text, extensions=["fenced_code", "md_in_html"])
    # The unclosed fence was closed after its message: the next heading is a heading.
    assert html.count("<h3>") == 3
    assert "<h3>Assistant" in html and "<p>after</p>" in html
    # The tool result's fence is longer than the backtick runs inside it.
    assert "`````\n" + hostile + "\n`````" in text


def test_fence_helpers() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("a ```` b") == "`````"
    assert open_fence_closer("```py\nx\n```") == ""
    assert open_fence_closer("```py\nx") == "```"
    assert open_fence_closer("~~~~\n```\n") == "~~~~"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations)
def test_our_markdown_imports_back_without_loss(items) -> None:
    report = assert_round_trip(items, "md", "export.md")
    assert report.format == "agentdesk-markdown"


def test_hand_edited_markdown_still_imports(tmp_path: Path) -> None:
    text = _export(tmp_path, rich_messages()[:3])
    edited = text.replace("How do I greet?", "How do I greet people politely?")
    with Store(tmp_path / "b.db") as target:
        report = import_text(target, edited, "edited.md")
        assert len(report.imported) == 1
        user = target.messages.all(report.imported[0].conversation_id)[1]
        assert user.content.startswith("How do I greet people politely?")


def test_generic_transcript_imports_by_role_headings(tmp_path: Path) -> None:
    transcript = ("# Trip planning\n\n## User\n\nWhere to go?\n\n## Assistant\n\n"
                  "Try Lisbon.\n\n```md\n## User\nnot a heading inside code\n```\n\n"
                  "### You\nThanks!\n")
    with Store(tmp_path / "b.db") as target:
        report = import_text(target, transcript, "trip.md")
        assert report.format == "markdown" and len(report.imported) == 1
        conversation = target.conversations.get(report.imported[0].conversation_id)
        assert conversation.title == "Trip planning"
        got = [(m.role, m.content) for m in target.messages.all(conversation.id)]
        assert got == [("user", "Where to go?"),
                       ("assistant", "Try Lisbon.\n\n```md\n## User\nnot a heading "
                                     "inside code\n```"),
                       ("user", "Thanks!")]
        assert target.agents.get(conversation.agent_id).name == "Imported"
