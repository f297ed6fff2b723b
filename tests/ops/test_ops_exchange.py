"""app/ops/exchange.py without Qt: the one export writer, conversation and
agent export/import, a set of dropped files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from app.core.export import render
from app.core.export.agent_file import AgentFileError
from app.core.export.html_format import HtmlPieces
from app.domain import AgentSpec
from app.ops import exchange
from app.ops.exchange import ExportError
from app.store import NotFoundError, Store
from tests.ops.ops_support import say


def chat(store: Store, agent: AgentSpec, title: str = "Plans") -> int:
    conversation = store.conversations.create(agent.id, title)
    say(store, conversation.id, "user", "What is **next**?")
    say(store, conversation.id, "assistant", "Shipping.")
    return conversation.id


def leftovers(folder: Path) -> list[str]:
    """The files in ``folder`` but the test's database (and its journal files)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("agentdesk.db"))


# -- the one writer --------------------------------------------------------------------------
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old", encoding="utf-8")

    def fail(partial_file: Path) -> None:
        partial_file.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="No space left"):
        exchange.write_file(target, fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == ["chat.md"]


def test_an_empty_result_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="Nothing was written"):
        exchange.write_file(tmp_path / "x.pdf", lambda _partial: None)
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="Cannot write to .*no/such"):
        exchange.write_text(tmp_path / "no" / "such" / "x.md", "text")


def test_export_target_takes_the_format_from_the_suffix_or_adds_one() -> None:
    assert exchange.export_target("a/notes.MD") == (Path("a/notes.MD"), "md")
    assert exchange.export_target("notes", "html") == (Path("notes.html"), "html")
    assert exchange.export_target("x.htm")[1] == "html"


# -- conversations ---------------------------------------------------------------------------
def test_export_conversations_writes_what_render_gives(store, agent, tmp_path) -> None:
    first, second = chat(store, agent, "One"), chat(store, agent, "Two")
    result = exchange.export_conversations(store, tmp_path / "all.md", "md")
    assert (result.conversations, result.format) == (2, "md")
    written = result.path.read_text(encoding="utf-8")
    assert written == render(exchange.load_conversations(store, [first, second]), "md")
    assert "# One" in written and "# Two" in written


def test_export_of_nothing_or_unknown_ids_writes_nothing(store, agent, tmp_path) -> None:
    with pytest.raises(ExportError, match="no conversations"):
        exchange.export_conversations(store, tmp_path / "all.json", "json")
    with pytest.raises(NotFoundError):
        exchange.export_conversations(store, tmp_path / "x.json", "json", [999])
    assert leftovers(tmp_path) == []


def test_unknown_format_and_pdf_without_a_writer_are_refused(store, agent, tmp_path) -> None:
    chat(store, agent)
    with pytest.raises(ExportError, match="Unknown export format"):
        exchange.export_conversations(store, tmp_path / "x.doc", "doc")
    with pytest.raises(ExportError, match="PDF export is not available"):
        exchange.export_conversations(store, tmp_path / "x.pdf", "pdf")


def test_pdf_goes_through_the_given_writer_atomically(store, agent, tmp_path) -> None:
    chat(store, agent)
    seen: list[tuple[HtmlPieces, Path]] = []

    def writer(pieces: HtmlPieces, path: Path) -> None:
        seen.append((pieces, path))
        path.write_bytes(b"%PDF-1.4 stand-in")

    result = exchange.export_conversations(store, tmp_path / "c.pdf", "pdf",
                                           theme="dark", pdf_writer=writer)
    (pieces, written_to), = seen
    assert written_to != result.path and written_to.parent == tmp_path  # a temporary file
    assert "What is" in pieces.page()
    assert result.path.read_bytes() == b"%PDF-1.4 stand-in"
    assert not written_to.exists()


def test_write_each_gives_one_file_per_chat_and_their_markdown(store, agent, tmp_path) -> None:
    ids = [chat(store, agent, "A"), chat(store, agent, "B")]
    bundles = exchange.load_conversations(store, ids)
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    texts = exchange.write_each(bundles, paths, "json")
    assert [json.loads(p.read_text())["conversations"][0]["conversation"]["title"] for p in paths] == ["A", "B"]
    assert texts == [render([b], "md") for b in bundles]


def test_an_exported_json_imports_back_as_new_conversations(store, agent, tmp_path) -> None:
    chat(store, agent, "Round trip")
    exported = exchange.export_conversations(store, tmp_path / "rt.json", "json")
    report = exchange.import_conversations(store, exported.path)
    assert report.imported == [] and len(report.skipped) == 1  # the same chat: a duplicate
    other = Store(tmp_path / "other.db")
    try:
        report = exchange.import_conversations(other, exported.path)
        assert [item.title for item in report.imported] == ["Round trip"]
    finally:
        other.close()


# -- agents ----------------------------------------------------------------------------------
def test_an_exported_agent_imports_under_a_free_name(store, agent, tmp_path) -> None:
    path = exchange.export_agent(tmp_path / "helper.agent.json", agent)
    spec = exchange.agent_in_file(path)
    assert spec is not None and spec.name == "Helper"
    imported = exchange.import_agent(store, spec)
    assert imported.agent.name == "Helper (2)" and imported.requested_name == "Helper"
    assert imported.missing_providers == ["local"]
    assert store.agents.get(agent.id).name == "Helper"          # the original is untouched


def test_import_files_sorts_agents_conversations_and_failures(store, agent, tmp_path) -> None:
    chat(store, agent, "Dropped")
    conversations = exchange.export_conversations(store, tmp_path / "c.json", "json").path
    other = Store(tmp_path / "fresh.db")
    try:
        agent_path = exchange.export_agent(tmp_path / "a.json", agent)
        broken = tmp_path / "broken.json"
        broken.write_text('{"format": "agentdesk.agent", "version": 1}', encoding="utf-8")
        summary = exchange.import_files(other, [agent_path, conversations, broken])
        assert summary.imported == ["Dropped"]
        assert [a.name for a in summary.agents] == ["Helper"]
        (name, reason), = summary.skipped
        assert name == "broken.json" and reason
        assert "Imported 1 conversation from a.json, c.json, broken.json." in summary.text()
        assert "• broken.json:" in summary.text()
    finally:
        other.close()


def test_agent_in_file_ignores_other_files_and_rejects_a_bad_agent_file(tmp_path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# hi", encoding="utf-8")
    assert exchange.agent_in_file(notes) is None
    export = tmp_path / "chats.json"
    export.write_text('{"format": "agentdesk", "conversations": []}', encoding="utf-8")
    assert exchange.agent_in_file(export) is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "agentdesk.agent", "version": 1, "agent": {"name": ""}}',
                   encoding="utf-8")
    with pytest.raises(AgentFileError):
        exchange.agent_in_file(bad)


def test_ops_run_on_any_thread(store, agent, tmp_path) -> None:
    """write_conversations touches no store: it runs on a thread that is not the
    store's (the window's executor)."""
    bundles = exchange.load_conversations(store, [chat(store, agent)])
    results = []
    worker = threading.Thread(target=lambda: results.append(
        exchange.write_conversations(tmp_path / "t.html", "html", bundles)))
    worker.start()
    worker.join(30)
    assert results and results[0].path.read_text(encoding="utf-8").startswith("<!DOCTYPE")
