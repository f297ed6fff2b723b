"""A hostile reply through the real window: an OpenAI-compatible server (the
in-test FaultServer speaking SSE) streams script tags, javascript:/file: links,
images pointing at a local file and at the server itself, a 1 MB line, deeply
nested lists and an unclosed code fence. Nothing runs or is loaded, only
http/https/mailto links are clickable, the event loop keeps turning while it
streams, and the reply is stored complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer, QUrl
from window_support import REPLY_MS, WAIT_MS, open_window, send

from app.domain import AgentSpec, ProviderConfig
from app.store import Store
from app.ui.chat import LinkPolicy
from app.ui.chat.markdown_render import ACTION_SCHEME
from tests.providers.fault_server import FaultServer, json_reply, openai_chunk, sse
from tests.ui.chat_support import anchors, assert_only_safe_links

PIXEL = "/pixel.png"


def hostile_reply(secret: Path, server_url: str) -> str:
    return (
        "Here you go.\n\n<script>alert('x')</script>\n\n"
        f"<img src=\"file://{secret}\"> <img src=\"{server_url}{PIXEL}\">\n\n"
        "[run me](javascript:alert(1)) [local](file:///etc/passwd) "
        f"[secret](file://{secret}) [ok](https://example.org/page) "
        "[mail](mailto:someone@example.org)\n\n"
        f"![local image](file://{secret}) ![remote image]({server_url}{PIXEL})\n\n"
        + "\n".join("  " * depth + "- nested" for depth in range(300)) + "\n\n"
        + "B" * 1_000_000 + "\n\n"
        "```python\nprint('this fence never closes')\n"
    )


def pieces(text: str, size: int = 16_000) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


class Recorder:
    """The window's link policy with the confirmation recorded (and declined)."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.opened: list[QUrl] = []

    def confirm(self, _parent: object, url: str) -> bool:
        self.asked.append(url)
        return False

    def policy(self) -> LinkPolicy:
        return LinkPolicy(confirm=self.confirm, opener=self.opened.append)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as created:
        yield created


def test_hostile_reply_through_the_window_runs_loads_and_freezes_nothing(
        qtbot, bridge, db_path, settings, tmp_path, server) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    reply = hostile_reply(secret, server.url)
    events = [openai_chunk(role="assistant", content="", model="hostile")]
    events += [openai_chunk(piece, model="hostile") for piece in pieces(reply)]
    events.append(openai_chunk(finish_reason="stop", model="hostile"))
    server.route("GET", "/v1/models", json_reply(
        {"object": "list", "data": [{"id": "hostile", "object": "model"}]}))
    server.route("POST", "/v1/chat/completions", sse(events, delay=0.01))
    with Store(db_path) as store:
        store.providers.create(ProviderConfig(name="remote", kind="llamacpp",
                                              base_url=f"{server.url}/v1", is_local=True))
        store.agents.create(AgentSpec(name="Target", provider="remote", model="hostile",
                                      max_tokens=64))

    window = open_window(qtbot, bridge, settings)
    qtbot.waitUntil(lambda: window.current_agent() is not None, timeout=WAIT_MS)
    recorder = Recorder()
    window.chat_view.link_policy = recorder.policy()
    view = window.chat_view

    # The event loop's heartbeat while the reply streams, and what the view showed.
    ticks: list[int] = []
    shown_lengths: set[int] = set()

    def beat() -> None:
        ticks.append(1)
        for message_id in view.message_ids():
            widget = view.message_widget(message_id)
            if widget is not None and widget.role == "assistant":
                shown_lengths.add(len(widget.markdown()))

    heartbeat = QTimer(window)
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    heartbeat.start()

    send(window, "Show me something nasty")
    qtbot.waitUntil(lambda: window.controller.conversation_id is not None, timeout=WAIT_MS)
    conversation_id = window.controller.conversation_id
    qtbot.waitUntil(lambda: conversation_id in window.controller.sessions, timeout=WAIT_MS)
    session = window.controller.sessions[conversation_id]
    qtbot.waitUntil(lambda: session.running, timeout=WAIT_MS)
    started = len(ticks)
    qtbot.waitUntil(lambda: not session.running, timeout=REPLY_MS)
    heartbeat.stop()

    # The loop kept turning through the stream, and the view drew it in steps.
    assert len(ticks) - started >= 5
    partial = {n for n in shown_lengths if 0 < n < len(reply.strip())}
    assert len(partial) >= 3, sorted(shown_lengths)

    # Stored complete, every byte.
    with Store(db_path) as store:
        stored = [m for m in store.messages.all(conversation_id) if m.role == "assistant"]
    assert len(stored) == 1
    assert stored[0].status == "complete"
    assert stored[0].content == reply

    # Nothing was loaded: not the local file, not the server's pixel.
    view.flush()
    widgets = [view.message_widget(i) for i in view.message_ids()]
    assert all(w is not None for w in widgets)
    assert [w.resource_requests() for w in widgets] == [[] for _ in widgets]
    assert server.requests_to(PIXEL) == []
    assistant = next(w for w in widgets if w.role == "assistant")
    assert assistant.markdown() == reply.strip()

    # Raw HTML is text; only http/https/mailto links (and our own actions) exist.
    text = "\n".join(s.toPlainText() for s in assistant.segments())
    assert "<script>alert('x')</script>" in text
    assert f'<img src="file://{secret}">' in text
    assert "too long to show here" in text
    hrefs = assert_only_safe_links(view)
    outside = sorted({h for h in hrefs if not h.startswith(f"{ACTION_SCHEME}:")})
    assert outside == sorted({"https://example.org/page", "mailto:someone@example.org",
                              f"{server.url}{PIXEL}"})
    every = [h for s in assistant.segments() for h in anchors(s.document())]
    assert not any(h.startswith(("javascript:", "file:")) for h in every)

    # A link the view would refuse is refused without asking, even if reported.
    assert view.open_link("javascript:alert(1)") is False
    assert view.open_link(f"file://{secret}") is False
    assert recorder.asked == [] and recorder.opened == []
