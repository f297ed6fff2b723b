"""A reply is untrusted: nothing in it runs, loads, or opens without the user."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtWidgets import QApplication

from app.ui.chat import ChatView, LinkPolicy
from app.ui.chat.blocks import FORCE_SPLIT_CHARS
from app.ui.chat.safe_browser import SafeTextBrowser
from app.ui.chat.stream_renderer import MAX_VIEW_CHARS
from tests.ui.chat_support import assert_only_safe_links

HOSTILE = (
    "<script>alert('x')</script>\n\n"
    "<img src=file:///etc/passwd> and <iframe src='http://evil.test'></iframe>\n\n"
    "[run me](javascript:alert(1)) [local](file:///etc/passwd) [data](data:text/html,hi) "
    "[rel](../secret) [fine](https://example.org/page)\n\n"
    "![local image](file:///etc/passwd) ![remote image](http://evil.test/track.png)\n\n"
    + "\n".join("  " * depth + "- nested" for depth in range(500)) + "\n\n"
    + "A" * 1_000_000 + "\n\n"
    "```python\nprint('this fence never closes')\n"
)
# (The fence after the 1 MB line is past the display cap: see the next test for it.)


class Recorder:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.opened: list[QUrl] = []

    def confirm(self, _parent, url: str) -> bool:
        self.asked.append(url)
        return self.answer

    def policy(self) -> LinkPolicy:
        return LinkPolicy(confirm=self.confirm, opener=self.opened.append)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(answer=False)


@pytest.fixture
def view(qtbot, recorder: Recorder) -> ChatView:
    created = ChatView(link_policy=recorder.policy())
    qtbot.addWidget(created)
    created.resize(700, 500)
    created.show()
    qtbot.waitExposed(created)
    return created


def test_load_resource_hook_is_what_qt_asks(qtbot) -> None:
    """Proves the hook the other tests rely on: Qt asks it, it answers nothing."""
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    browser.setHtml('<p>x<img src="file:///etc/passwd"></p>')
    browser.show()
    QApplication.processEvents()
    assert "file:///etc/passwd" in browser.resource_requests


def test_hostile_reply_renders_without_running_loading_or_freezing(view, recorder, qtbot) -> None:
    view.begin_reply(9)
    step = 20_000
    flushes = 0
    for start in range(0, len(HOSTILE), step):
        view.append_text(9, HOSTILE[start:start + step])
        view.flush()
        flushes += 1
    view.finish_reply(9, "complete")
    qtbot.waitUntil(lambda: not view.is_drawing())  # drawn over several event-loop turns
    widget = view.message_widget(9)
    segment = widget.segments()[0]
    stream = segment.stream

    # Bounded work: one flush per chunk, blocks no larger than the cut size, and the
    # drawn text capped, whatever the input.
    assert flushes == -(-len(HOSTILE) // step)
    assert max(len(block.text) for block in stream.blocks) <= FORCE_SPLIT_CHARS
    assert segment.document().characterCount() <= MAX_VIEW_CHARS + 2 * FORCE_SPLIT_CHARS
    assert widget.markdown() == HOSTILE.strip()  # copy still gets all of it

    # Nothing loaded, nothing but allowed links.
    assert widget.resource_requests() == []
    hrefs = assert_only_safe_links(view)
    assert "https://example.org/page" in hrefs
    assert "http://evil.test/track.png" in hrefs  # the image is a link to confirm, not loaded
    text = segment.toPlainText()
    assert "<script>alert('x')</script>" in text  # shown as text
    assert "<img src=file:///etc/passwd>" in text
    assert "[image: local image]" in text
    assert "too long to show here" in text  # the 1 MB line hit the display cap
    assert recorder.asked == [] and recorder.opened == []


def test_unclosed_fence_and_deep_lists_stream_as_text(view, qtbot) -> None:
    reply = ("\n".join("  " * depth + "- nested" for depth in range(500))
             + "\n\n```python\nprint('this fence never closes')\n")
    view.begin_reply(11)
    for start in range(0, len(reply), 500):
        view.append_text(11, reply[start:start + 500])
        view.flush()
    qtbot.waitUntil(lambda: not view.is_drawing())  # one turn draws about a frame's worth
    segment = view.message_widget(11).segments()[0]
    assert "print('this fence never closes')" in segment.toPlainText()  # as the open tail
    view.finish_reply(11, "complete")
    qtbot.waitUntil(lambda: not view.is_drawing())
    stream = segment.stream
    assert [b.kind for b in stream.blocks][-1] == "fence"
    assert stream.code[-1] == "print('this fence never closes')"
    assert all(b.kind == "plain" for b in stream.blocks[:-1])  # too deep for Markdown
    assert "print('this fence never closes')" in segment.toPlainText()
    assert segment.toPlainText().count("- nested") == 500
    assert view.message_widget(11).resource_requests() == []


def click_text(qtbot, browser: SafeTextBrowser, needle: str) -> None:
    cursor = browser.document().find(needle)
    assert not cursor.isNull(), needle
    cursor.setPosition(cursor.selectionStart() + 1)
    rect = browser.cursorRect(cursor)
    point = QPoint(rect.center().x() + 1, rect.center().y())
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


def linked_reply(view: ChatView) -> SafeTextBrowser:
    view.begin_reply(5)
    view.append_text(5, "Go to [the page](https://example.org/a?b=1&c=%20d) or "
                        "[evil](javascript:alert(1)) or [disk](file:///etc/passwd).")
    view.finish_reply(5, "complete")
    QApplication.processEvents()
    return view.message_widget(5).segments()[0]


def test_link_click_asks_with_the_full_address_and_declined_is_not_opened(
        view, recorder, qtbot) -> None:
    browser = linked_reply(view)
    click_text(qtbot, browser, "the page")
    assert recorder.asked == ["https://example.org/a?b=1&c=%20d"]
    assert recorder.opened == []


def test_link_click_confirmed_opens(view, recorder, qtbot) -> None:
    recorder.answer = True
    browser = linked_reply(view)
    click_text(qtbot, browser, "the page")
    encoded = QUrl.ComponentFormattingOption.FullyEncoded
    assert [url.toString(encoded) for url in recorder.opened] == [
        "https://example.org/a?b=1&c=%20d"]


def test_unsafe_links_are_not_clickable(view, recorder, qtbot) -> None:
    browser = linked_reply(view)
    for text in ("evil", "disk"):
        click_text(qtbot, browser, text)
    assert recorder.asked == [] and recorder.opened == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "data:text/html,x", "relative/path", "https://"])
def test_policy_refuses_without_asking(recorder, url: str) -> None:
    assert recorder.policy().handle(url) is False
    assert recorder.asked == []


def test_unsafe_link_emitted_anyway_is_refused(view, recorder) -> None:
    """Defence in depth: even if a browser reported such a link, the view refuses it."""
    assert view.open_link("javascript:alert(1)") is False
    assert view.open_link("file:///etc/passwd") is False
    assert recorder.asked == []

