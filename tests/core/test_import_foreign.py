"""Import of ChatGPT and Open WebUI exports, built from their documented formats.

ChatGPT ``conversations.json``: a list of conversations ``{title, create_time,
update_time, mapping, current_node, ...}``; ``mapping`` maps node ids to ``{id,
message, parent, children}``; a message is ``{id, author: {role}, content:
{content_type, parts}, create_time, metadata: {model_slug, ...}}``; the root
node has ``message: null``. Open WebUI: a list of ``{id, user_id, title, chat:
{title, models, history: {messages: {id: {id, parentId, childrenIds, role,
content, timestamp, model}}, currentId}, messages}, created_at, updated_at,
archived, pinned}`` with times in Unix seconds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from app.core.export import import_file
from app.store import Store
from tests.support.export_data import make_agent

T = 1714564800.0  # 2024-05-01 12:00:00 UTC


def _gpt_node(node_id, parent, children, role=None, text=None, *, offset=0,
              content=None, metadata=None):
    message = None
    if role is not None:
        message = {"id": node_id, "author": {"role": role, "name": None, "metadata": {}},
                   "create_time": T + offset, "update_time": None,
                   "content": content or {"content_type": "text", "parts": [text]},
                   "status": "finished_successfully", "end_turn": True, "weight": 1.0,
                   "metadata": metadata or {}, "recipient": "all"}
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def chatgpt_branching() -> dict:
    """root -> system(hidden) -> user -> {assistant A (old), assistant B (current)} -> ..."""
    mapping = {
        "root": _gpt_node("root", None, ["sys"]),
        "sys": _gpt_node("sys", "root", ["u1"], "system", "", offset=0,
                         metadata={"is_visually_hidden_from_conversation": True}),
        "u1": _gpt_node("u1", "sys", ["a_old", "a_new"], "user", "Name a <b>colour</b>",
                        offset=1),
        "a_old": _gpt_node("a_old", "u1", [], "assistant", "Red (regenerated away)",
                           offset=2, metadata={"model_slug": "gpt-4o"}),
        "a_new": _gpt_node("a_new", "u1", ["u2"], "assistant", "Blue.", offset=3,
                           metadata={"model_slug": "gpt-4o"}),
        "u2": _gpt_node("u2", "a_new", ["a2"], "user", None, offset=4, content={
            "content_type": "multimodal_text",
            "parts": [{"content_type": "image_asset_pointer", "asset_pointer": "file-1"},
                      "And this picture?"]}),
        "a2": _gpt_node("a2", "u2", ["tool"], "assistant", "A cat.\n\n```py\nx = 1\n```",
                        offset=5, metadata={"model_slug": "gpt-4o"}),
        "tool": _gpt_node("tool", "a2", [], "tool", "browsing output", offset=6),
    }
    return {"title": "Colours", "create_time": T, "update_time": T + 60,
            "mapping": mapping, "current_node": "tool", "conversation_id": "c-1",
            "id": "c-1", "is_archived": False, "default_model_slug": "gpt-4o",
            "moderation_results": [], "safe_urls": []}


def openwebui_branching() -> dict:
    messages = {
        "m1": {"id": "m1", "parentId": None, "childrenIds": ["m2", "m3"], "role": "user",
               "content": "Capital of France?", "timestamp": int(T), "models": ["llama3"]},
        "m2": {"id": "m2", "parentId": "m1", "childrenIds": [], "role": "assistant",
               "content": "Lyon (old answer)", "timestamp": int(T) + 5, "model": "llama3"},
        "m3": {"id": "m3", "parentId": "m1", "childrenIds": ["m4"], "role": "assistant",
               "content": "Paris.", "timestamp": int(T) + 9, "model": "llama3"},
        "m4": {"id": "m4", "parentId": "m3", "childrenIds": [], "role": "user",
               "content": "Thanks <script>x</script>", "timestamp": int(T) + 20},
    }
    flat = [messages[k] for k in ("m1", "m3", "m4")]
    return {"id": "owui-1", "user_id": "u-1", "title": "Geography",
            "chat": {"id": "", "title": "Geography", "models": ["llama3"], "params": {},
                     "history": {"messages": messages, "currentId": "m4"},
                     "messages": flat, "tags": [], "timestamp": int(T) * 1000},
            "updated_at": int(T) + 20, "created_at": int(T), "share_id": None,
            "archived": False, "pinned": True, "meta": {}, "folder_id": None}


def _write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_chatgpt_imports_the_current_branch_only(tmp_path: Path) -> None:
    other = {**chatgpt_branching(), "title": "Second", "create_time": T + 999}
    path = _write(tmp_path, "conversations.json", [chatgpt_branching(), other])
    with Store(tmp_path / "db.sqlite") as store:
        report = import_file(store, path)
        assert report.format == "chatgpt"
        assert [i.title for i in report.imported] == ["Colours", "Second"]
        assert report.skipped == []
        assert any("image_asset_pointer" in note for note in report.notes)
        conversation = store.conversations.get(report.imported[0].conversation_id)
        assert conversation.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
        assert conversation.updated_at == datetime(2024, 5, 1, 12, 1, tzinfo=UTC)
        messages = store.messages.all(conversation.id)
        assert [(m.role, m.content) for m in messages] == [
            ("user", "Name a <b>colour</b>"), ("assistant", "Blue."),
            ("user", "And this picture?"), ("assistant", "A cat.\n\n```py\nx = 1\n```")]
        assert messages[1].model == "gpt-4o" and messages[0].model is None
        assert messages[1].created_at == datetime(2024, 5, 1, 12, 0, 3, tzinfo=UTC)
        assert messages[2].meta["omitted_parts"] == 1
        assert store.agents.get(conversation.agent_id).name == "Imported"


def test_openwebui_imports_the_current_branch_only(tmp_path: Path) -> None:
    path = _write(tmp_path, "chat-export.json", [openwebui_branching()])
    with Store(tmp_path / "db.sqlite") as store:
        report = import_file(store, path)
        assert report.format == "openwebui" and len(report.imported) == 1
        conversation = store.conversations.get(report.imported[0].conversation_id)
        assert conversation.title == "Geography" and conversation.pinned
        assert [(m.role, m.content, m.model) for m in store.messages.all(conversation.id)] == [
            ("user", "Capital of France?", None), ("assistant", "Paris.", "llama3"),
            ("user", "Thanks <script>x</script>", None)]
        assert conversation.created_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_openwebui_without_history_uses_the_flat_list(tmp_path: Path) -> None:
    chat = openwebui_branching()
    del chat["chat"]["history"]
    path = _write(tmp_path, "single.json", chat)  # a single chat download
    with Store(tmp_path / "db.sqlite") as store:
        report = import_file(store, path)
        messages = store.messages.all(report.imported[0].conversation_id)
        assert [m.content for m in messages] == [
            "Capital of France?", "Paris.", "Thanks <script>x</script>"]


def test_foreign_import_attaches_to_a_chosen_agent(tmp_path: Path) -> None:
    path = _write(tmp_path, "conversations.json", [chatgpt_branching()])
    with Store(tmp_path / "db.sqlite") as store:
        mine = make_agent(store, "Researcher")
        report = import_file(store, path, agent_name="researcher")
        assert store.conversations.get(report.imported[0].conversation_id).agent_id == mine.id
        assert store.agents.find_by_name("Imported") is None


def test_bad_conversation_in_a_good_file_is_skipped_with_reason(tmp_path: Path) -> None:
    broken = chatgpt_branching()
    broken["title"] = "Loop"
    broken["mapping"]["u1"]["parent"] = "a2"  # a cycle
    empty = {**chatgpt_branching(), "title": "Nothing", "current_node": "sys"}
    path = _write(tmp_path, "conversations.json", [broken, chatgpt_branching(), empty])
    with Store(tmp_path / "db.sqlite") as store:
        report = import_file(store, path)
        assert [i.title for i in report.imported] == ["Colours"]
        reasons = {s.title: s.reason for s in report.skipped}
        assert "cycle" in reasons["Loop"]
        assert "no text messages" in reasons["Nothing"]
