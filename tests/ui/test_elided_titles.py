"""Long chat titles end in "…" (issue 13, item 10): no horizontal scroll bar in
the chat list (nor the agent list), rows as wide as the list, the full title
in the tooltip — also after the window is resized and a title grows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from window_support import WAIT_MS, open_window, process

from app.domain import AgentSpec
from app.store import Store

LONG = ("A very long conversation title about the quarterly planning of the "
        "infrastructure migration and everything that came up on the way")


def _rows_fit(view) -> bool:
    model = view.model()
    width = view.viewport().width()
    return all(view.visualRect(model.index(row, 0)).width() <= width
               for row in range(model.rowCount()))


def test_long_titles_elide_without_a_horizontal_scroll_bar(qtbot, aio, bridge, db_path,
                                                           settings) -> None:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(
            name="An agent whose name is also much longer than the list is wide",
            provider="", model=""))
        store.conversations.create(agent.id, "Short")
        long_chat = store.conversations.create(agent.id, LONG)
    window = open_window(qtbot, bridge, settings)
    window.resize(1000, 700)
    chats = window.conversation_list
    qtbot.waitUntil(lambda: chats.model().rowCount() == 2, timeout=WAIT_MS)
    row = next(r for r in range(2)
               if chats.model().index(r, 0).data() == LONG)
    index = chats.model().index(row, 0)

    for width in (1000, 760, 1300):                 # the person resizes the window
        window.resize(width, 700)
        process(10)
        for view in (chats, window.agent_list):
            assert view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            assert view.horizontalScrollBar().maximum() == 0, view.objectName()
            assert _rows_fit(view), view.objectName()
        assert chats.fontMetrics().horizontalAdvance(LONG) > chats.viewport().width()
    assert chats.textElideMode() == Qt.TextElideMode.ElideRight
    assert index.data(Qt.ItemDataRole.ToolTipRole).splitlines()[0] == LONG

    # A title that grows (renamed) still fits.
    longer = LONG + " and then some more words to make it longer still"
    aio.run(bridge.run(lambda s: s.conversations.rename(long_chat.id, longer)))
    qtbot.waitUntil(lambda: any(chats.model().index(r, 0).data() == longer
                                for r in range(chats.model().rowCount())), timeout=WAIT_MS)
    process(10)
    assert chats.horizontalScrollBar().maximum() == 0 and _rows_fit(chats)
