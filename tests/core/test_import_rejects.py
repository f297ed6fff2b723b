"""Malformed, huge, hostile and duplicate imports: rejected or skipped with a
message, and nothing written (row counts checked before and after)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.export import ImportLimits, ImportRejected, import_file, load_bundles, render
from app.domain import Message
from app.store import Store
from tests.core.test_import_foreign import chatgpt_branching, openwebui_branching
from tests.support.export_data import (
    add_conversation,
    make_agent,
    rich_messages,
    row_counts,
)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "db.sqlite") as opened:
        agent = make_agent(opened)
        add_conversation(opened, agent.id, "Existing", rich_messages())
        yield opened


def _export(tmp_path: Path, messages: list[Message], title: str = "Chat") -> dict:
    with Store(tmp_path / "src.sqlite") as source:
        agent = make_agent(source)
        add_conversation(source, agent.id, title, messages)
        return json.loads(render(load_bundles(source), "json"))


def _file(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.json", '{"format": "agentdesk.conversations", "version": 1, ',
     "not valid JSON"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("shape.json", '{"format": "agentdesk.conversations", "version": 1, '
                   '"conversations": {"a": 1}}', "no 'conversations' list"),
    ("future.json", '{"format": "agentdesk.conversations", "version": 99, '
                    '"conversations": []}', "newer AgentDesk"),
    ("other.json", '{"hello": "world"}', "not a known conversation export"),
    ("agent.json", '{"format": "agentdesk.agent", "version": 1, "agent": {"name": "x"}}',
     "agents import"),
    ("latin1.md", "## User\n\ncaf\xe9".encode("latin-1"), "not UTF-8"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
    ("notes.md", "# Shopping\n\n- milk\n- eggs\n", "no role headings"),
])
def test_malformed_files_are_rejected_and_nothing_is_written(
        store: Store, tmp_path: Path, name: str, content, message: str) -> None:
    before = row_counts(store)
    with pytest.raises(ImportRejected, match=message):
        import_file(store, _file(tmp_path, name, content))
    assert row_counts(store) == before


def test_huge_file_is_refused_before_reading(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: 201 MB on paper, nothing on disk
        handle.truncate(201 * 1024 * 1024)
    before = row_counts(store)
    with pytest.raises(ImportRejected, match=r"too large to import \(201 MB; the limit "
                                             r"is 200 MB\)"):
        import_file(store, path)
    assert row_counts(store) == before


def test_huge_message_skips_its_conversation(store: Store, tmp_path: Path) -> None:
    document = _export(tmp_path, [Message(conversation_id=0, role="user", content="x" * 500)])
    path = _file(tmp_path, "big.json", json.dumps(document))
    before = row_counts(store)
    report = import_file(store, path, limits=ImportLimits(max_message_chars=100))
    assert report.imported == []
    assert "message 1 is too long (500 characters; the limit is 100)" in report.skipped[0].reason
    assert row_counts(store) == before


def test_hostile_content_is_stored_as_plain_text_or_skipped(store: Store,
                                                            tmp_path: Path) -> None:
    html = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    good = _export(tmp_path, [Message(conversation_id=0, role="user", content=html)],
                   title="Scripted")
    nul = json.loads(json.dumps(good).replace("alert(1)", "alert(1)\\u0000"))
    nul["conversations"][0]["conversation"]["title"] = "With NUL"
    nul["conversations"][0]["conversation"]["created_at"] = "2030-01-01T00:00:00+00:00"
    deep = json.loads(json.dumps(good))
    deep["conversations"][0]["conversation"]["title"] = "Deep meta"
    deep["conversations"][0]["conversation"]["created_at"] = "2031-01-01T00:00:00+00:00"
    nested: dict = {}
    for _ in range(200):
        nested = {"x": nested}
    deep["conversations"][0]["messages"][0]["meta"] = nested
    document = {**good, "conversations": good["conversations"] + nul["conversations"]
                + deep["conversations"]}
    path = _file(tmp_path, "mixed.json", json.dumps(document))

    before = row_counts(store)
    report = import_file(store, path)
    assert [i.title for i in report.imported] == ["Scripted"]
    reasons = {s.title: s.reason for s in report.skipped}
    assert "control character (U+0000" in reasons["With NUL"]
    assert "nested more than 64 levels" in reasons["Deep meta"]
    stored = store.messages.all(report.imported[0].conversation_id)
    assert stored[0].content == html  # kept verbatim as text
    after = row_counts(store)
    assert after["conversations"] == before["conversations"] + 1
    assert after["messages"] == before["messages"] + 1


def test_second_import_of_the_same_file_is_skipped(store: Store, tmp_path: Path) -> None:
    for name, data in (("conversations.json", [chatgpt_branching()]),
                       ("owui.json", [openwebui_branching()])):
        path = _file(tmp_path, name, json.dumps(data))
        first = import_file(store, path)
        assert len(first.imported) == 1
        before = row_counts(store)
        second = import_file(store, path)
        assert second.imported == []
        assert second.skipped[0].reason.startswith(
            f"already imported (conversation {first.imported[0].conversation_id})")
        assert row_counts(store) == before


def test_markdown_transcript_imported_twice_is_skipped(store: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "t.md", "## User\nhi\n## Assistant\nhello\n")
    assert len(import_file(store, path).imported) == 1
    before = row_counts(store)
    assert "already imported" in import_file(store, path).skipped[0].reason
    assert row_counts(store) == before


def test_export_imported_next_to_its_original_is_a_duplicate(store: Store,
                                                             tmp_path: Path) -> None:
    path = _file(tmp_path, "mine.json", render(load_bundles(store), "json"))
    before = row_counts(store)
    report = import_file(store, path)
    assert report.imported == []
    assert report.skipped[0].reason.startswith("already in this database (conversation")
    assert row_counts(store) == before


def test_the_same_conversation_twice_in_one_file(store: Store, tmp_path: Path) -> None:
    document = _export(tmp_path, rich_messages(), title="Twice")
    document["conversations"] *= 2
    report = import_file(store, _file(tmp_path, "twice.json", json.dumps(document)))
    assert len(report.imported) == 1
    assert report.skipped[0].reason == "appears twice in this file"


def test_deleting_an_imported_conversation_allows_importing_it_again(
        store: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "c.json", json.dumps([chatgpt_branching()]))
    first = import_file(store, path)
    store.conversations.delete(first.imported[0].conversation_id)
    assert len(import_file(store, path).imported) == 1


def test_unknown_agent_rejects_before_writing(store: Store, tmp_path: Path) -> None:
    path = _file(tmp_path, "c.json", json.dumps([chatgpt_branching()]))
    before = row_counts(store)
    with pytest.raises(ImportRejected, match="no agent named 'Ghost'"):
        import_file(store, path, agent_name="Ghost")
    assert row_counts(store) == before


def test_failure_mid_write_rolls_back_the_whole_file(store: Store, tmp_path: Path,
                                                     monkeypatch) -> None:
    data = [chatgpt_branching(), {**chatgpt_branching(), "title": "B", "create_time": T2}]
    path = _file(tmp_path, "c.json", json.dumps(data))
    real = store.imports.add_conversation
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(store.imports, "add_conversation", failing)
    before = row_counts(store)
    with pytest.raises(OSError):
        import_file(store, path)
    assert row_counts(store) == before  # the first conversation and its agent too


T2 = 1714564800.0 + 86_400
