"""Exports of a conversation with versions (regenerated replies, an edited
message): Markdown, HTML and the PDF's HTML print the shown branch; JSON keeps
every version with its parent and the shown leaf, and imports back without loss."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.export import import_text, load_bundles, render
from app.core.export.html_format import pdf_html_pieces
from app.domain import Message
from app.store import Store
from tests.support.export_data import make_agent, snapshot


def add(store: Store, cid: int, role: str, text: str, **where) -> Message:
    return store.messages.add(Message(conversation_id=cid, role=role, content=text), **where)


def branched_chat(store: Store) -> tuple[int, dict[str, Message]]:
    """q1 → (a1 v1 | a1 v2 | a1 v3 shown) → q2 → (a2) ; q2 edited → a2 edited (shown)."""
    agent = make_agent(store)
    cid = store.conversations.create(agent.id, "Versions").id
    m: dict[str, Message] = {}
    m["q1"] = add(store, cid, "user", "first question")
    m["v1"] = add(store, cid, "assistant", "reply version one")
    m["v2"] = add(store, cid, "assistant", "reply version two", parent_id=m["q1"].id)
    m["v3"] = add(store, cid, "assistant", "reply version three", parent_id=m["q1"].id)
    m["q2"] = add(store, cid, "user", "second question original")
    m["a2"] = add(store, cid, "assistant", "answer to the original")
    m["q2e"] = add(store, cid, "user", "second question edited", parent_id=m["v3"].id)
    m["a2e"] = add(store, cid, "assistant", "answer to the edit")
    return cid, m


SHOWN = ["first question", "reply version three", "second question edited",
         "answer to the edit"]
HIDDEN = ["reply version one", "reply version two", "second question original",
          "answer to the original"]


def test_markdown_html_and_pdf_print_the_shown_branch_only(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        cid, m = branched_chat(store)
        bundles = load_bundles(store, [cid])
        assert [x.content for x in bundles[0].messages] == SHOWN
        pdf = "".join(pdf_html_pieces(bundles).body_fragments())
        for text in (render(bundles, "md"), render(bundles, "html"), pdf):
            assert all(shown in text for shown in SHOWN)
            assert not any(hidden in text for hidden in HIDDEN)
        assert "4 messages" in render(bundles, "md")

        # Another version shown in the window: the exports follow it.
        store.messages.switch_version(m["v3"].id, -1)
        bundles = load_bundles(store, [cid])
        markdown = render(bundles, "md")
        assert "reply version two" in markdown and "reply version three" not in markdown
        assert [x.content for x in bundles[0].messages] == ["first question",
                                                            "reply version two"]


def test_json_keeps_every_version_and_imports_back_without_loss(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as source, Store(tmp_path / "b.db") as target:
        cid, m = branched_chat(source)
        document = render(load_bundles(source), "json")
        entry = json.loads(document)["conversations"][0]
        assert len(entry["messages"]) == 8
        by_id = {raw["id"]: raw for raw in entry["messages"]}
        assert by_id[m["v2"].id]["parent_id"] == m["q1"].id
        assert entry["conversation"]["active_leaf_id"] == m["a2e"].id

        report = import_text(target, document, "versions.json")
        assert report.skipped == [] and report.imported[0].messages == 8
        new_id = report.imported[0].conversation_id
        assert snapshot(target) == snapshot(source)
        assert [x.content for x in target.messages.path_all(new_id)] == SHOWN
        # The versions work there as here: back to the original second question.
        edited = target.messages.path_all(new_id)[2]
        versions = target.messages.versions(new_id, [edited])[edited.id]
        assert (versions.index, versions.count) == (2, 2)
        target.messages.switch_version(edited.id, -1)
        assert [x.content for x in target.messages.path_all(new_id)][-2:] == [
            "second question original", "answer to the original"]

        # The same file again is recognised (the branches are part of the fingerprint).
        again = import_text(target, document, "versions.json")
        assert again.imported == [] and len(again.skipped) == 1


def test_a_file_whose_parent_ids_point_forward_is_skipped(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as source, Store(tmp_path / "b.db") as target:
        branched_chat(source)
        data = json.loads(render(load_bundles(source), "json"))
        messages = data["conversations"][0]["messages"]
        messages[1]["parent_id"] = messages[-1]["id"]          # follows a later message
        report = import_text(target, json.dumps(data), "bad.json")
        assert report.imported == [] and "not before it" in report.skipped[0].reason
        assert target.db.execute_sql("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_a_version_one_file_imports_as_one_branch(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as source, Store(tmp_path / "b.db") as target:
        agent = make_agent(source)
        cid = source.conversations.create(agent.id, "Plain").id
        for role, text in (("user", "q"), ("assistant", "a"), ("user", "q2")):
            add(source, cid, role, text)
        data = json.loads(render(load_bundles(source), "json"))
        data["version"] = 1
        for raw in data["conversations"][0]["messages"]:
            del raw["id"], raw["parent_id"]
        del data["conversations"][0]["conversation"]["active_leaf_id"]
        report = import_text(target, json.dumps(data), "old.json")
        new_id = report.imported[0].conversation_id
        assert [x.content for x in target.messages.path_all(new_id)] == ["q", "a", "q2"]
        assert snapshot(target) == snapshot(source)
