"""The chat's lighter message widgets: one Copy menu per view that still acts on
the message whose button opened it, no style sheet on the message widgets, and
frames and colours that still follow the theme."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMenu,
    QStyle,
    QStyleOptionToolButton,
    QToolButton,
    QWidget,
)

from app.ui.chat import ChatView, make_palette
from app.ui.chat.message_widget import MessageWidget
from tests.ui.chat_support import (
    shown_chat_view,
    make_message,
    sample_chat,
    sample_view_in_theme,
    settle_layout,
)
from tests.ui.pixel_support import pixel


@pytest.fixture
def view(qtbot) -> ChatView:
    return shown_chat_view(qtbot)


def _arrow_point(button: QToolButton) -> QPoint:
    """The middle of the button's menu arrow (the part that opens the menu)."""
    option = QStyleOptionToolButton()
    button.initStyleOption(option)
    rect = button.style().subControlRect(QStyle.ComplexControl.CC_ToolButton, option,
                                         QStyle.SubControl.SC_ToolButtonMenu, button)
    assert rect.isValid() and rect.width() > 0
    return rect.center()


def choose_from_copy_menu(qtbot, widget: MessageWidget, text: str) -> list[str]:
    """Open ``widget``'s Copy menu with its arrow, as a user does, and pick ``text``."""
    seen: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu), menu
        seen.extend(action.text() for action in menu.actions())
        menu.setActiveAction(next(a for a in menu.actions() if a.text() == text))
        QTest.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(100, pick)
    qtbot.mouseClick(widget.copy_button, Qt.MouseButton.LeftButton,
                     pos=_arrow_point(widget.copy_button))
    return seen


def test_copy_menu_acts_on_the_message_that_opened_it(view, qtbot) -> None:
    view.set_messages([make_message(1, "user", "Hi **there**"),
                       make_message(2, "assistant", "Hello *you*\n\n```\ncode\n```")])
    settle_layout(view)
    user, reply = view.message_widget(1), view.message_widget(2)

    with qtbot.waitSignal(view.sig_copy, timeout=3000) as got:
        items = choose_from_copy_menu(qtbot, reply, "Copy as plain text")
    assert items == ["Copy as Markdown", "Copy as plain text"]
    assert got.args == [2, "plain"]
    assert QGuiApplication.clipboard().text() == "Hello you\n\ncode"

    with qtbot.waitSignal(view.sig_copy, timeout=3000) as got:
        choose_from_copy_menu(qtbot, user, "Copy as Markdown")
    assert got.args == [1, "markdown"]
    assert QGuiApplication.clipboard().text() == "Hi **there**"

    with qtbot.waitSignal(view.sig_copy, timeout=3000) as got:
        choose_from_copy_menu(qtbot, user, "Copy as plain text")
    assert got.args == [1, "plain"]
    assert QGuiApplication.clipboard().text() == "Hi there"

    # The button itself (not its arrow) still copies the Markdown.
    QGuiApplication.clipboard().clear()
    with qtbot.waitSignal(view.sig_copy, timeout=3000) as got:
        qtbot.mouseClick(reply.copy_button, Qt.MouseButton.LeftButton,
                         pos=QPoint(4, reply.copy_button.height() // 2))
    assert got.args == [2, "markdown"]
    assert QGuiApplication.clipboard().text() == "Hello *you*\n\n```\ncode\n```"


def test_one_copy_menu_per_view_not_per_message(view) -> None:
    view.set_messages([make_message(i, "user" if i % 2 else "assistant", f"m{i}")
                       for i in range(1, 21)])
    menus = {view.message_widget(i).copy_button.menu() for i in view.message_ids()}
    assert len(menus) == 1 and None not in menus
    assert len(view.findChildren(QMenu)) == 1
    button = view.message_widget(1).copy_button
    assert button.popupMode() == QToolButton.ToolButtonPopupMode.MenuButtonPopup


def test_no_widget_of_a_message_is_under_a_style_sheet(view) -> None:
    # A style sheet over the messages costs ~9 KB per widget (about half of a
    # message); the frames are painted instead.
    view.set_messages(sample_chat())
    view.begin_reply(6, "gemma3", "local")
    view.append_thinking(6, "hmm")
    view.append_text(6, "partial")
    view.finish_reply(6, "error", None, "connection refused")
    settle_layout(view)
    assert view.container.styleSheet() == ""
    widgets = [view.container, *view.container.findChildren(QWidget)]
    styled = [w.objectName() or type(w).__name__ for w in widgets
              if w.testAttribute(Qt.WidgetAttribute.WA_StyleSheet) or w.styleSheet()]
    assert styled == []


def _pixel(view: ChatView, widget: QWidget, point: QPoint) -> str:
    return pixel(view.grab().toImage(), view, widget, point)


@pytest.mark.parametrize("dark", [False, True])
def test_frames_and_text_colours_follow_the_theme(qtbot, dark: bool) -> None:
    app = QApplication.instance()
    with sample_view_in_theme(qtbot, dark, 700, 700, "connection refused") as view:
        settle_layout(view)
        theme = view._theme
        user, reply, tool = (view.message_widget(i) for i in (1, 2, 4))
        middle = user.bubble.height() // 2
        # Bubbles: background inside the border, border at the straight edge.
        assert _pixel(view, user.bubble, QPoint(4, middle)) == theme.user_bubble
        assert _pixel(view, reply.bubble, QPoint(4, middle)) == theme.assistant_bubble
        assert _pixel(view, reply.bubble, QPoint(0, reply.bubble.height() // 2)) == theme.border
        block = tool.tool_blocks["c1"]
        assert _pixel(view, block, QPoint(3, block.height() // 2)) == theme.render.code_bg
        bar = view.message_widget(6).error_bar
        assert _pixel(view, bar, QPoint(3, bar.height() // 2)) == theme.error_bg
        # The view's background (the column's bottom margin, inside the viewport).
        viewport = view.scroll.viewport()
        corner = QPoint(viewport.width() - 3, viewport.height() - 3)
        assert _pixel(view, viewport, corner) == theme.base

        def colour(widget: QWidget) -> str:
            return widget.palette().color(QPalette.ColorRole.WindowText).name()

        assert colour(reply.role_label) == theme.text
        assert reply.role_label.font().weight() == QFont.Weight.Bold
        assert colour(reply.time_label) == colour(reply.footer) == theme.muted
        assert colour(reply.model_badge) == theme.accent
        assert colour(block.status) == theme.muted and colour(block.result) == theme.text
        assert colour(bar.label) == theme.error_text
        # Buttons keep the application's palette (as under the old style sheet).
        assert (reply.copy_button.palette().color(QPalette.ColorRole.Button)
                == app.palette().color(QPalette.ColorRole.Button))

        # Switch the theme while the view is up: everything follows.
        app.setPalette(make_palette(not dark))
        QApplication.processEvents()
        settle_layout(view)
        theme = view._theme
        assert theme.dark is (not dark)
        assert _pixel(view, user.bubble, QPoint(4, middle)) == theme.user_bubble
        assert _pixel(view, block, QPoint(3, block.height() // 2)) == theme.render.code_bg
        assert _pixel(view, bar, QPoint(3, bar.height() // 2)) == theme.error_bg
        assert _pixel(view, viewport, corner) == theme.base
        assert colour(reply.time_label) == theme.muted
        assert colour(reply.model_badge) == theme.accent
        assert colour(bar.label) == theme.error_text


def test_failed_tool_result_is_drawn_in_the_error_colour(view) -> None:
    view.begin_reply(1)
    block = view.add_tool_call(1, "c1", "calc", {"x": 1})
    view.set_tool_result("c1", "division by zero", True, 3)
    error = view._theme.error_text
    for label in (block.status, block.result):
        assert label.palette().color(QPalette.ColorRole.WindowText).name() == error
        assert label.property("error") is True


def test_model_badge_keeps_its_size_and_text_inset(view) -> None:
    # As the style-sheet badge: border + padding (7 px each side, 1 px top and
    # bottom) and QLabel's indent of a framed label (half an "x" before the text,
    # a whole "x" in the size hint).
    view.begin_reply(1, "gemma3", "local")
    settle_layout(view)
    badge = view.message_widget(1).model_badge
    x = badge.fontMetrics().horizontalAdvance("x")
    plain = QLabel("gemma3")  # no frame, no indent: the text's own size
    plain.setFont(badge.font())
    assert badge.contentsMargins().left() == 7 and badge.contentsMargins().top() == 1
    assert badge.indent() == x // 2
    assert badge.sizeHint().width() == plain.sizeHint().width() + 14 + x
    assert badge.sizeHint().height() == plain.sizeHint().height() + 2
