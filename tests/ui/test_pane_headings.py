"""The chat list's heading is read whole next to New Chat at the agent pane's
narrowest width, for the chats and, with "Show archived" ticked, the archived
ones (the longer heading was cut to "Archived chat" under the button)."""

from __future__ import annotations

from layout_support import rect_in, settled
from PySide6.QtWidgets import QLabel
from window_support import WAIT_MS, open_window

from app.domain import AgentSpec
from app.store import Store
from app.ui.theme import ThemeManager


def test_chat_heading_fits_beside_new_chat_in_a_narrow_pane(qapp, qtbot, bridge, db_path,
                                                           settings) -> None:
    ThemeManager(qapp).apply("light", settings.ui.font_size)   # the app's font size
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Helper", provider="p", model="m"))
        store.conversations.set_archived(store.conversations.create(agent.id, "Old").id, True)
    window = open_window(qtbot, bridge, settings)
    window.resize(1000, 700)
    window.main_splitter.setSizes([1, 999])         # the pane at its narrowest
    heading = window.findChild(QLabel, "conversationListHeading")
    button = window.left.new_chat_button
    for archived in (True, False, True):            # ticked, unticked, ticked again
        window.left.show_archived.setChecked(archived)
        qtbot.waitUntil(lambda: heading.text() != "", timeout=WAIT_MS)
        settled(window)
        assert window.left.width() <= window.left.minimumWidth() + 2
        assert heading.width() >= heading.sizeHint().width(), heading.text()
        assert not rect_in(heading, window).intersects(rect_in(button, window))
