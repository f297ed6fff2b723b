"""Counts read "1 model", never "1 models" (issue 13, item 10): the helper and
the places that show counts."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.export.html_format import HtmlExporter
from app.core.export.markdown_format import conversation_markdown
from app.core.export.model import ConversationBundle
from app.core.wording import plural
from app.domain import AgentSpec, Conversation, Message


def test_plural() -> None:
    assert plural(1, "model") == "1 model"
    assert plural(0, "model") == "0 models"
    assert plural(2, "model") == "2 models"
    assert plural(1, "memory") == "1 memory" and plural(3, "memory") == "3 memories"
    assert plural(2, "person", "people") == "2 people"
    assert plural(1024, "token", grouped=True) == "1,024 tokens"
    assert plural(1, "token", grouped=True) == "1 token"


def _bundle(count: int) -> ConversationBundle:
    now = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)
    conversation = Conversation(id=1, agent_id=1, title="One", created_at=now, updated_at=now)
    messages = [Message(id=i + 1, conversation_id=1, role="user", content=f"m{i}",
                        created_at=now) for i in range(count)]
    return ConversationBundle(conversation, AgentSpec(id=1, name="A"), messages)


def test_exports_count_in_words() -> None:
    assert "· 1 message*" in conversation_markdown(_bundle(1))
    assert "· 2 messages*" in conversation_markdown(_bundle(2))
    html = "".join(HtmlExporter().conversation(_bundle(1)))
    assert "· 1 message</p>" in html


def test_window_counts_in_words() -> None:
    """The reply footer and the backup summary (UI functions, no widget needed)."""
    from pathlib import Path

    from app.domain import UsageStats
    from app.ops.data import BackupInfo
    from app.ui.chat.message_widget import usage_text
    from app.ui.dialogs.data_page import describe_backup

    assert usage_text(UsageStats(completion_tokens=1), "complete").startswith("1 token")
    assert "1 token " not in usage_text(UsageStats(completion_tokens=1024), "complete")
    assert "1,024 tokens" in usage_text(UsageStats(completion_tokens=1024), "complete")
    info = BackupInfo(Path("b.db"), 7, agents=1, conversations=1, messages=1)
    assert describe_backup(info) == "1 agent, 1 conversation, 1 message (schema 7)"
