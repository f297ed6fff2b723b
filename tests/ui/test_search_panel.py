"""The search box: a search superseded by typing is cancelled and never shown;
a word in too many messages comes back newest first, and the status says so."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.domain import AgentSpec, Message
from app.store import AsyncStore, Store
from app.store.async_search import AsyncSearchReader
from app.store.search_reader import SearchCancelled
from app.ui.search_panel import SearchPanel
from dialog_helpers import WAIT_MS


class RecordingSearcher(AsyncSearchReader):
    """The real reader, noting how each search ended."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes: list[tuple[str, str]] = []

    async def search(self, text: str, **kwargs):
        try:
            page = await super().search(text, **kwargs)
        except SearchCancelled:
            self.outcomes.append((text, "cancelled"))
            raise
        self.outcomes.append((text, "done"))
        return page


class Gate:
    """Holds searches mid-query (in the progress handler) until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> None:
        self.entered.set()
        self.release.wait(WAIT_MS / 1000)


def seed(db_path: Path) -> dict[str, list[int]]:
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="Seeder"))
        chat = store.conversations.create(agent.id, "Zoo notes")
        found: dict[str, list[int]] = {"zebra": [], "walrus": []}
        for i in range(300):
            word = "walrus" if i in (40, 41) else "zebra"
            found[word].append(store.messages.add(Message(
                conversation_id=chat.id, role="user", content=f"a {word} note {i}")).id)
        return found


@pytest.fixture
def searcher_for(aio, async_store: AsyncStore, monkeypatch):
    """Make the store hand out a RecordingSearcher built with these options."""
    made: list[RecordingSearcher] = []

    def install(**options) -> RecordingSearcher:
        searcher = RecordingSearcher(async_store.path, asyncio.get_event_loop(), **options)
        made.append(searcher)
        monkeypatch.setattr(AsyncStore, "searcher", property(lambda _self: searcher))
        return searcher

    yield install
    for searcher in made:
        aio.run(searcher.close())


def open_panel(qtbot, bridge) -> tuple[SearchPanel, list[tuple[str, int]]]:
    panel = SearchPanel(bridge)
    qtbot.addWidget(panel)
    panel.resize(320, 480)
    panel.show()
    searched: list[tuple[str, int]] = []
    panel.sig_searched.connect(lambda query, count: searched.append((query, count)))
    return panel, searched


def test_typing_on_cancels_the_running_search_and_its_hits_never_show(
        qtbot, bridge, db_path, searcher_for) -> None:
    found = seed(db_path)
    gate = Gate()
    searcher = searcher_for(progress_hook=gate)
    panel, searched = open_panel(qtbot, bridge)

    qtbot.keyClicks(panel.box, "zebra")
    qtbot.waitUntil(gate.entered.is_set, timeout=WAIT_MS)  # held mid-query
    panel.box.selectAll()
    qtbot.keyClicks(panel.box, "walrus")  # the person types on
    gate.release.set()

    qtbot.waitUntil(lambda: searched == [("walrus", 2)], timeout=WAIT_MS)
    assert searcher.outcomes == [("zebra", "cancelled"), ("walrus", "done")]
    hits = panel.results_model.hits()
    assert sorted(hit.message_id for hit in hits) == found["walrus"]
    assert panel.status.text() == "2 matches"


def test_a_word_in_too_many_messages_lists_newest_first_then_a_rare_one_is_ranked(
        qtbot, bridge, db_path, searcher_for) -> None:
    found = seed(db_path)
    searcher_for(rank_limit=100)
    panel, searched = open_panel(qtbot, bridge)

    qtbot.keyClicks(panel.box, "zebra")
    qtbot.waitUntil(lambda: len(searched) == 1, timeout=WAIT_MS)
    hits = panel.results_model.hits()
    assert [hit.message_id for hit in hits] == sorted(found["zebra"], reverse=True)[:50]
    assert "newest first" in panel.status.text() and "100" in panel.status.text()
    assert "<b>zebra</b>" in panel.results_model.index(0).data(panel.results_model.HtmlRole)

    qtbot.keyClick(panel.box, Qt.Key.Key_Escape)  # clear, then search again
    assert not panel.results.isVisible()
    qtbot.keyClicks(panel.box, "walrus")
    qtbot.waitUntil(lambda: len(searched) == 2, timeout=WAIT_MS)
    assert searched == [("zebra", 50), ("walrus", 2)]
    assert panel.status.text() == "2 matches"
    assert "newest first" not in panel.status.text()


def text_rows(label) -> list[int]:
    """The rows of the label's picture where its text is drawn."""
    image = label.grab().toImage()
    background = image.pixelColor(0, 0)
    return [y for y in range(image.height())
            if any(image.pixelColor(x, y) != background for x in range(image.width()))]


def test_the_status_is_read_whole_at_the_top_in_a_narrow_pane(
        qtbot, bridge, db_path, searcher_for) -> None:
    seed(db_path)
    searcher_for(rank_limit=100)
    panel, searched = open_panel(qtbot, bridge)
    panel.resize(220, 480)                       # the agent pane's narrowest

    qtbot.keyClicks(panel.box, "zebra")
    qtbot.waitUntil(lambda: len(searched) == 1, timeout=WAIT_MS)
    status = panel.status
    qtbot.waitUntil(lambda: status.height() >= status.heightForWidth(status.width()),
                    timeout=WAIT_MS)
    assert "newest first (too many to rank)" in status.text()
    one_line = status.fontMetrics().horizontalAdvance(status.text())
    assert one_line > status.width()             # too wide for one line: it wraps
    assert status.wordWrap() and status.height() >= status.heightForWidth(status.width())
    assert status.geometry().bottom() < panel.results.geometry().top()

    panel.box.selectAll()
    qtbot.keyClicks(panel.box, "okapi")          # nothing: "No matches" under the box
    qtbot.waitUntil(lambda: len(searched) == 2, timeout=WAIT_MS)
    assert status.text() == "No matches" and not panel.results.isVisible()
    rows = text_rows(status)
    assert rows and rows[0] < status.fontMetrics().height()
