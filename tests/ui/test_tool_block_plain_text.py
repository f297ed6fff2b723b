"""A tool call's block in the chat view shows what a web page, a file or the
model put in the call's arguments and result as text, never as a live link or
a loaded image (docs/SECURITY.md, threat model: web pages are not shown as rich
text outside the chat's Markdown)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from tests.ui.chat_support import shown_chat_view
from tests.ui.plain_text_support import HOSTILE, MARKER, hostile_problems


def test_hostile_arguments_and_result_are_shown_as_text(qtbot) -> None:
    view = shown_chat_view(qtbot)
    view.begin_reply(1)
    block = view.add_tool_call(1, "c1", "fetch_url", {"url": HOSTILE})
    QApplication.processEvents()
    block.toggle.click()                                  # open: arguments shown
    view.set_tool_result("c1", f"Page text: {HOSTILE}", False, 12.0)
    view.add_tool_call(1, "c2", "read_file", {"path": "notes.html"})
    view.set_tool_result("c2", HOSTILE, True, 3.0)        # a failed call shows it as error
    QApplication.processEvents()

    assert MARKER in block.arguments.text() and HOSTILE in block.result.text()
    assert hostile_problems([view]) == []
