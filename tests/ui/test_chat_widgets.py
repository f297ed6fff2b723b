"""Chat view widgets: tool-call blocks, per-message actions, errors, themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton

from app.domain import UsageStats
from app.ui.chat import ChatView, make_palette
from tests.ui.chat_support import shown_chat_view, make_message, sample_chat, sample_view_in_theme, settle_layout
from tests.ui.pixel_support import pixel

@pytest.fixture
def view(qtbot) -> ChatView:
    return shown_chat_view(qtbot)


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_an_open_tool_block_toggle_is_drawn_flat_not_pressed(view) -> None:
    """Only the arrow tells open from closed; the button keeps its checked state
    (for the keyboard and screen readers) without looking held down."""
    view.begin_reply(1)
    block = view.add_tool_call(1, "c1", "search", {"query": "qt"})
    QApplication.processEvents()

    def left_edge() -> list[str]:
        image = block.toggle.grab().toImage()
        return [image.pixelColor(1, y).name() for y in range(image.height())]

    closed = left_edge()
    block.toggle.click()
    assert block.toggle.isChecked() and block.expanded
    assert left_edge() == closed


def test_tool_call_running_then_result(view) -> None:
    view.begin_reply(1)
    view.append_text(1, "Let me look.")
    block = view.add_tool_call(1, "c1", "search", {"query": "qt", "limit": 3})
    QApplication.processEvents()  # layouts show new children on the next event
    assert block is not None and block.state == "running"
    assert block.busy.isVisibleTo(view) and block.status.text() == "running…"
    assert not block.body.isVisibleTo(view)  # collapsed
    block.toggle.click()
    assert block.body.isVisibleTo(view) and '"limit": 3' in block.arguments.text()

    view.set_tool_result("c1", "3 hits", False, 41.6)
    assert block.state == "done" and not block.busy.isVisibleTo(view)
    assert block.result.text() == "3 hits" and block.status.text() == "done · 42 ms"
    # Text after the tool call goes below it, in a new segment.
    view.append_text(1, "Found them.")
    view.finish_reply(1, "complete")
    segments = view.message_widget(1).segments()
    assert [s.toPlainText() for s in segments] == ["Let me look.", "Found them."]


def test_tool_call_error_and_invalid_json_arguments(view) -> None:
    view.begin_reply(1)
    block = view.add_tool_call(1, "c2", "calc", '{"x": 1,')  # invalid JSON shown as is
    assert block.arguments.text() == '{"x": 1,'
    view.set_tool_result("c2", "division by zero", True, 3)
    assert block.state == "error" and block.result_caption.text() == "Error"
    assert block.status.text().startswith("failed")


@pytest.mark.parametrize("button, allowed", [("approveButton", True), ("denyButton", False)])
def test_approval_buttons_emit(view, qtbot, button: str, allowed: bool) -> None:
    view.begin_reply(1)
    view.add_tool_call(1, "c3", "shell", {"cmd": "ls"})
    view.show_approval("c3", "Run `ls` in the workspace?")
    QApplication.processEvents()
    block = view.tool_block("c3")
    assert block.state == "approval" and block.approval.isVisibleTo(view)
    assert block.approval_text.text() == "Run `ls` in the workspace?"
    with qtbot.waitSignal(view.sig_approval) as got:
        click(qtbot, block.findChild(QPushButton, button))
    assert got.args == ["c3", allowed]
    assert not block.approval.isVisibleTo(view)
    with qtbot.assertNotEmitted(view.sig_approval):  # a second click cannot answer again
        block._decide(not allowed)


def test_per_message_action_signals(view, qtbot) -> None:
    view.set_messages([make_message(1, "user", "Hi **there**"),
                       make_message(2, "assistant", "Hello *you*\n\n```\ncode\n```")])
    user, reply = view.message_widget(1), view.message_widget(2)
    assert user.findChild(QToolButton, "regenerateButton") is None
    assert reply.findChild(QToolButton, "editButton") is None
    for widget, name, signal in ((user, "editButton", view.sig_edit),
                                 (reply, "regenerateButton", view.sig_regenerate),
                                 (reply, "deleteButton", view.sig_delete)):
        with qtbot.waitSignal(signal) as got:
            click(qtbot, widget.findChild(QToolButton, name))
        assert got.args == [widget.message_id]

    with qtbot.waitSignal(view.sig_copy) as got:
        reply._do("copy-markdown")
    assert got.args == [2, "markdown"]
    assert QGuiApplication.clipboard().text() == "Hello *you*\n\n```\ncode\n```"
    with qtbot.waitSignal(view.sig_copy) as got:
        reply._do("copy-plain")
    assert got.args == [2, "plain"]
    assert QGuiApplication.clipboard().text() == "Hello you\n\ncode"


def _inside(widget, outer) -> bool:
    """True when ``widget`` lies wholly inside ``outer``'s visible rectangle."""
    top_left = widget.mapTo(outer, widget.rect().topLeft())
    bottom_right = widget.mapTo(outer, widget.rect().bottomRight())
    return outer.rect().contains(top_left) and outer.rect().contains(bottom_right)


def test_actions_shorten_in_a_narrow_view_and_stay_inside_it(view, qtbot) -> None:
    view.set_messages([make_message(1, "user", "Hi"),
                       make_message(2, "assistant", "Hello there, a longer reply.")])
    reply = view.message_widget(2)
    regenerate = reply.findChild(QToolButton, "regenerateButton")
    settle_layout(view)
    assert regenerate.text() == "Regenerate" and not reply.actions.compact

    view.resize(320, 600)          # narrower than the full labels need
    settle_layout(view)
    qtbot.waitUntil(lambda: reply.actions.compact)
    assert regenerate.text() != "Regenerate" and regenerate.toolTip() == "Regenerate"
    viewport = view.scroll.viewport()
    assert view.container.width() <= viewport.width()      # nothing pushed off the edge
    for message in (view.message_widget(1), reply):
        for button in message.actions.buttons:
            assert _inside(button, viewport), button.objectName()

    view.resize(700, 600)
    settle_layout(view)
    qtbot.waitUntil(lambda: not reply.actions.compact)
    assert regenerate.text() == "Regenerate"


def test_copy_code_link_copies_the_block(view) -> None:
    view.set_messages([make_message(2, "assistant",
                                    "a\n\n```sh\necho one\n```\n\n```py\nx = 2\n```")])
    segment = view.message_widget(2).segments()[0]
    QGuiApplication.clipboard().clear()
    segment.sig_action.emit("copy-code/1")
    assert QGuiApplication.clipboard().text() == "x = 2"
    segment.sig_action.emit("copy-code/0")
    assert QGuiApplication.clipboard().text() == "echo one"


def test_error_inline_with_retry_and_switch(view, qtbot) -> None:
    view.begin_reply(8, "gemma3", "local")
    view.append_text(8, "partial answ")
    view.show_error(8, "connection refused")
    widget = view.message_widget(8)
    bar = widget.error_bar
    assert bar is not None and bar.label.text() == "connection refused"
    assert widget.segments()[0].toPlainText() == "partial answ"  # pending text drawn
    with qtbot.waitSignal(view.sig_retry) as got:
        click(qtbot, bar.retry_button)
    assert got.args == [8]
    with qtbot.waitSignal(view.sig_switch_provider) as got:
        click(qtbot, bar.switch_button)
    assert got.args == [8]


def test_usage_footer_and_model_badge(view) -> None:
    view.begin_reply(3, "qwen2.5:7b", "ollama")
    view.append_text(3, "ok")
    view.finish_reply(3, "complete", UsageStats(completion_tokens=1234, tokens_per_s=55.55,
                                                ttft_ms=310))
    widget = view.message_widget(3)
    assert widget.model_badge.text() == "qwen2.5:7b"
    assert "ollama" in widget.model_badge.toolTip()
    footer = widget.footer.text()
    assert "1,234 tokens" in footer and f"{55.55:.1f} tok/s" in footer
    assert "first token 310 ms" in footer


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot_in_theme(qtbot, theme: str, screenshot_dir: Path) -> None:
    with sample_view_in_theme(qtbot, theme == "dark", 820, 900,
                              "The provider stopped answering (connection refused).") as view:
        view.message_widget(4).tool_blocks["c1"].set_expanded(True)
        settle_layout(view)
        for widget in (view.message_widget(i) for i in view.message_ids()):
            needed = (widget.heightForWidth(widget.width()) if widget.hasHeightForWidth()
                      else widget.sizeHint().height())
            assert widget.height() >= needed  # nothing clipped
            for segment in widget.segments():
                assert segment.height() >= segment.document().size().height()
        assert view._theme.dark is (theme == "dark")
        base = view._theme.base
        viewport = view.scroll.viewport()
        corner = pixel(view.grab().toImage(), view, viewport,
                       QPoint(viewport.width() - 3, viewport.height() - 3))
        assert corner == base  # the view's background follows the palette
        assert view.grab().save(str(screenshot_dir / f"chat_{theme}.png"))


def test_palette_change_restyles_messages_and_keeps_their_text(view) -> None:
    view.setPalette(make_palette(False))
    view.set_messages(sample_chat())
    segment = view.message_widget(2).segments()[0]
    before = segment.toPlainText()
    light_css = segment.document().defaultStyleSheet()

    view.setPalette(make_palette(True))
    QApplication.processEvents()
    assert view._theme.dark
    segment = view.message_widget(2).segments()[0]
    assert segment.document().defaultStyleSheet() != light_css
    assert view._theme.render.text in segment.document().defaultStyleSheet()
    assert segment.toPlainText() == before
    assert segment.stream.finished and set(segment.stream.final_renders.values()) == {1}
