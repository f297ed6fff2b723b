"""Helpers for the chat view tests (imported as a plain module)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from app.domain import Message, ToolCallRecord, UsageStats
from app.ui.chat import ChatView, make_palette
from app.ui.chat.markdown_render import ACTION_SCHEME, is_allowed_url

T0 = datetime(2025, 1, 1, 9, 30, tzinfo=timezone.utc)


def make_message(message_id: int, role: str = "assistant", content: str = "",
                 **extra: object) -> Message:
    return Message(id=message_id, conversation_id=1, role=role, content=content,
                   created_at=T0, **extra)


def conversation(count: int, start_id: int = 1) -> list[Message]:
    """Alternating user/assistant messages with a few lines each."""
    return [make_message(i, "user" if i % 2 else "assistant",
                         f"Message {i}\n\n" + "\n\n".join(f"line {j} of {i}" for j in range(4)))
            for i in range(start_id, start_id + count)]


def anchors(document: QTextDocument) -> list[str]:
    """Every link address in a document."""
    found: list[str] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fmt = it.fragment().charFormat()
            if fmt.isAnchor() and fmt.anchorHref():
                found.append(fmt.anchorHref())
            it += 1
        block = block.next()
    return found


def assert_only_safe_links(view: ChatView) -> list[str]:
    hrefs: list[str] = []
    for message_id in view.message_ids():
        widget = view.message_widget(message_id)
        assert widget is not None
        for segment in widget.segments():
            hrefs += anchors(segment.document())
    for href in hrefs:
        assert href.startswith(f"{ACTION_SCHEME}:") or is_allowed_url(href), href
    return hrefs


def sample_chat() -> list[Message]:
    """A short chat with code, a table, a list, a link and a tool call (screenshots)."""
    return [
        make_message(1, "user", "How do I read a file line by line in Python?"),
        make_message(
            2, "assistant",
            "Use a `with` block so the file is **closed** for you:\n\n"
            "```python\ndef read_lines(path: str) -> list[str]:\n"
            "    # strip the newline of each line\n"
            "    with open(path, encoding=\"utf-8\") as f:\n"
            "        return [line.rstrip(\"\\n\") for line in f]\n```\n\n"
            "| mode | meaning |\n|------|---------|\n| `r` | read text |\n"
            "| `rb` | read bytes |\n| `a` | append |\n\n"
            "- iterate the file object\n- or call `f.readline()`\n\n"
            "See [the docs](https://docs.python.org/3/library/functions.html#open).",
            model="gemma3", provider="local",
            usage=UsageStats(completion_tokens=96, tokens_per_s=41.3, ttft_ms=212)),
        make_message(3, "user", "What's the weather in Paris?"),
        make_message(4, "assistant", "Let me check.", model="gemma3", provider="local",
                     tool_calls=[ToolCallRecord(call_id="c1", name="get_weather",
                                                arguments={"city": "Paris", "units": "metric"})]),
        make_message(5, "tool", '{"temp": 11, "sky": "cloudy"}', tool_call_id="c1",
                     meta={"duration_ms": 84}),
    ]


def settle_layout(view: ChatView, turns: int = 30) -> None:
    """Let size changes travel up the widget tree (one level per event-loop turn)."""
    previous: list[int] = []
    stable = 0
    for _ in range(turns):
        QApplication.processEvents()
        heights = [view.container.height()] + [
            view.message_widget(i).height() for i in view.message_ids()]
        stable = stable + 1 if heights == previous else 0
        if stable >= 3:
            return
        previous = heights


def shown_chat_view(qtbot, width: int = 700, height: int = 600) -> ChatView:
    """A ChatView of that size, shown and exposed (closed by qtbot after the test)."""
    created = ChatView()
    qtbot.addWidget(created)
    created.resize(width, height)
    created.show()
    qtbot.waitExposed(created)
    return created


@contextmanager
def sample_view_in_theme(qtbot, dark: bool, width: int, height: int,
                         error: str) -> Iterator[ChatView]:
    """A shown ChatView with ``sample_chat()`` and a last reply that failed with
    ``error``, under the light or dark application palette (restored after)."""
    app = QApplication.instance()
    old_palette = app.palette()
    app.setPalette(make_palette(dark))
    try:
        view = shown_chat_view(qtbot, width, height)
        view.set_messages(sample_chat())
        view.begin_reply(6, "gemma3", "local")
        view.append_text(6, "It is 11 °C and cloudy in Paris.")
        view.finish_reply(6, "error", None, error)
        yield view
    finally:
        app.setPalette(old_palette)
