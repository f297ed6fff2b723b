"""Export all conversations: Settings › Data's "Export all…" and File › Export All
Conversations…, on the real dialog and window with a real SQLite store. The file
holds every conversation (archived too); an unwritable target gives a clear
error and leaves nothing behind."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pypdf
import pytest
from dialog_helpers import WAIT_MS, host, message_box, picker_of

from app.core import export as export_package
from app.core.export import import_file
from app.domain import AgentSpec, Message
from app.ops.exchange import export_target
from app.store import Store
from app.ui.dialogs.settings_dialog import SettingsDialog
from app.ui import export_all as export_all_module
from app.ui.export_all import write_pdf

__all__ = ["host"]

TITLES = {"Rust lifetimes", "Archived plans", "Shopping list"}


def seed(aio, store) -> dict[str, list[str]]:
    """Three conversations of two agents, one archived; returns title -> contents."""
    contents = {"Rust lifetimes": ["what is 'a?", "A lifetime name."],
                "Archived plans": ["old plan"],
                "Shopping list": ["eggs", "* eggs\n* milk", "thanks"]}

    def write(s: Store) -> None:
        coder = s.agents.create(AgentSpec(name="Coder", model="m1"))
        helper = s.agents.create(AgentSpec(name="Helper", model="m2"))
        for title, agent in (("Rust lifetimes", coder), ("Archived plans", coder),
                             ("Shopping list", helper)):
            conversation = s.conversations.create(agent.id, title)
            for number, text in enumerate(contents[title]):
                s.messages.add(Message(conversation_id=conversation.id,
                                       role="user" if number % 2 == 0 else "assistant",
                                       content=text))
            if title == "Archived plans":
                s.conversations.set_archived(conversation.id, True)

    aio.run(store.run(write))
    return contents


@pytest.fixture
def dialog(bridge, settings, host, qtbot) -> SettingsDialog:
    created = SettingsDialog(bridge, settings, parent=host)
    created.open()
    qtbot.waitUntil(lambda: not created.busy, timeout=WAIT_MS)
    created.show_page("Data")
    return created


def export_and_wait(page, target: Path, fmt: str, qtbot) -> str:
    """Start an export on Settings › Data and wait for it; its status text."""
    page.start_export(target, fmt)
    qtbot.waitUntil(lambda: not page.spinner.spinning, timeout=WAIT_MS)
    return page.status.toolTip()


def exported(path: Path) -> dict[str, list[str]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "agentdesk.conversations"
    return {entry["conversation"]["title"]: [m["content"] for m in entry["messages"]]
            for entry in document["conversations"]}


def test_export_all_writes_every_conversation_as_json(aio, async_store, dialog,
                                                      tmp_path, qtbot) -> None:
    contents = seed(aio, async_store)
    target = tmp_path / "out" / "all.json"
    target.parent.mkdir()
    page = dialog.data
    page.start_export(target, "json")
    assert page.spinner.spinning and not page.export_button.isEnabled()
    qtbot.waitUntil(lambda: not page.spinner.spinning, timeout=WAIT_MS)

    assert page.export_button.isEnabled()
    assert page.status.toolTip() == f"Exported 3 conversations (JSON) to {target}."
    assert exported(target) == contents          # every one, archived too, in full
    assert sorted(p.name for p in target.parent.iterdir()) == ["all.json"]  # no temp left

    # The file is our lossless format: it imports back into another store.
    with Store(tmp_path / "other.db") as other:
        report = import_file(other, target)
        assert {item.title for item in report.imported} == TITLES


def test_export_to_an_unwritable_place_says_why_and_writes_nothing(
        aio, async_store, dialog, tmp_path, qtbot) -> None:
    seed(aio, async_store)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    page = dialog.data
    for target in (blocker / "all.json", tmp_path / "missing" / "all.json"):
        shown = export_and_wait(page, target, "json", qtbot)
        assert shown.startswith("Nothing was exported: Cannot write to "), shown
        assert str(target.parent) in shown
        assert page.export_button.isEnabled()
    assert sorted(tmp_path.rglob("*")) == before
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_an_empty_store_exports_nothing(dialog, tmp_path, qtbot) -> None:
    page = dialog.data
    target = tmp_path / "all.md"
    assert export_and_wait(page, target, "md", qtbot) == (
        "Nothing was exported: There are no conversations to export.")
    assert not target.exists()


def test_the_picker_takes_the_format_from_the_chosen_filter(aio, async_store, dialog,
                                                            tmp_path, qtbot) -> None:
    seed(aio, async_store)
    page = dialog.data
    page.export_button.click()
    picker = picker_of(page, qtbot)
    markdown = next(f for f in picker.nameFilters() if f.startswith("Markdown"))
    picker.selectNameFilter(markdown)
    picker.selectFile(str(tmp_path / "notes"))        # no suffix: the filter decides
    picker.accept()
    qtbot.waitUntil(lambda: "Exported" in page.status.toolTip(), timeout=WAIT_MS)

    written = tmp_path / "notes.md"
    assert page.status.toolTip() == f"Exported 3 conversations (MD) to {written}."
    text = written.read_text(encoding="utf-8")
    assert all(f"# {title}" in text for title in TITLES)


def test_pdf_export_writes_a_pdf(aio, async_store, dialog, tmp_path, qtbot) -> None:
    seed(aio, async_store)
    page = dialog.data
    target = tmp_path / "all.pdf"
    shown = export_and_wait(page, target, "pdf", qtbot)
    assert shown == f"Exported 3 conversations (PDF) to {target}."
    assert target.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.glob("*.pdf*")) == ["all.pdf"]


def test_pdf_is_printed_off_the_ui_thread_while_the_loop_runs(
        aio, async_store, dialog, tmp_path, qtbot, monkeypatch) -> None:
    """A long history takes seconds to print: the writer runs on a worker
    thread, and the window's event loop keeps running meanwhile (if it ran on
    the UI thread, the loop could not set the event while it waits)."""
    seed(aio, async_store)
    seen: dict[str, bool] = {}

    def watched_writer(pieces, path: Path) -> None:
        seen["on the UI thread"] = threading.current_thread() is threading.main_thread()
        loop_ran = threading.Event()
        aio.loop.call_soon_threadsafe(loop_ran.set)
        seen["loop ran meanwhile"] = loop_ran.wait(timeout=10)
        write_pdf(pieces, path)

    monkeypatch.setattr(export_all_module, "write_pdf", watched_writer)
    page = dialog.data
    target = tmp_path / "all.pdf"
    shown = export_and_wait(page, target, "pdf", qtbot)
    assert shown == f"Exported 3 conversations (PDF) to {target}."
    assert seen == {"on the UI thread": False, "loop ran meanwhile": True}
    reader = pypdf.PdfReader(str(target))
    assert reader.metadata.title == "AgentDesk conversations"
    words = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert all(title in words for title in TITLES), words


def test_rendering_leaves_the_store_free(aio, async_store, dialog, tmp_path, qtbot,
                                        monkeypatch) -> None:
    """Rendering a long history takes seconds; running chats keep writing to the
    store meanwhile, so the export renders off the store's worker: the store
    answers while the render is in progress (it could not, were the render
    holding its worker)."""
    seed(aio, async_store)
    real_render = export_package.render
    answered: list[int] = []

    def render_while_the_store_answers(bundles, fmt: str, **_options: object) -> str:
        query = asyncio.run_coroutine_threadsafe(
            async_store.run(lambda s: len(s.agents.list())), aio.loop)
        answered.append(query.result(timeout=10))
        return real_render(bundles, fmt)

    monkeypatch.setattr(export_package, "render", render_while_the_store_answers)
    page = dialog.data
    target = tmp_path / "all.md"
    shown = export_and_wait(page, target, "md", qtbot)
    assert shown == f"Exported 3 conversations (MD) to {target}."
    assert answered == [2]
    assert all(f"# {title}" in target.read_text(encoding="utf-8") for title in TITLES)


def test_file_menu_exports_all_conversations(aio, async_store, window, tmp_path,
                                             qtbot) -> None:
    contents = seed(aio, async_store)
    action = window.actions.export_all
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()
    action.trigger()
    picker = picker_of(window, qtbot)
    target = tmp_path / "from-menu.json"
    picker.selectFile(str(target))
    picker.accept()
    box = message_box(window, "infoMessage", qtbot)
    assert box.text() == f"Exported 3 conversations (JSON) to {target}."
    assert action.isEnabled()
    assert exported(target) == contents
    box.close()


def test_export_target_follows_the_suffix_or_the_filter(tmp_path) -> None:
    assert export_target(tmp_path / "a.HTML", "json") == (tmp_path / "a.HTML", "html")
    assert export_target(tmp_path / "a.markdown", "pdf") == (tmp_path / "a.markdown", "md")
    assert export_target(tmp_path / "a", "pdf") == (tmp_path / "a.pdf", "pdf")
    assert export_target(tmp_path / "a.txt", "md") == (tmp_path / "a.txt.md", "md")
