"""Issue 15 items 2, 9 and 12 (import side): malformed fields skip one item
with a reason (never an unexpected exception), dates outside the store's
range are clamped with a note or refused with a reason naming the range, and
importing our JSON without message times twice does not duplicate it."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from app.core.export import import_file, load_bundles, render
from app.store import Store
from tests.core.test_import_foreign import chatgpt_branching, openwebui_branching
from tests.support.export_data import add_conversation, make_agent, rich_messages, row_counts

BIG = 2**63


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "db.sqlite") as opened:
        yield opened


@pytest.fixture
def ours(tmp_path: Path) -> dict:
    """Our JSON export of one conversation with a reply naming its revision."""
    with Store(tmp_path / "src.sqlite") as source:
        agent = make_agent(source)
        add_conversation(source, agent.id, "Chat", rich_messages())
        return json.loads(render(load_bundles(source), "json"))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _with_other(bad: dict, good: dict, key: str = "title") -> list[dict]:
    """The bad conversation next to a good one: only the bad one is skipped."""
    bad = copy.deepcopy(bad)
    bad[key] = "Bad one"
    return [bad, good]


# -- item 9: ChatGPT and Open WebUI --------------------------------------------------

def test_chatgpt_create_time_of_10_to_the_400_skips_that_conversation(
        store: Store, tmp_path: Path) -> None:
    good = chatgpt_branching()
    bad = copy.deepcopy(good)
    bad["title"], bad["create_time"] = "Bad one", 1
    text = json.dumps([bad, good]).replace('"create_time": 1,', '"create_time": 1' + "0" * 400 + ",", 1)
    report = import_file(store, _write(tmp_path, "conversations.json", text))
    assert [i.title for i in report.imported] == [good["title"]]
    assert report.skipped[0].title == "Bad one"
    assert "number of 401 digits" in report.skipped[0].reason


def test_chatgpt_integer_of_5000_digits_skips_that_conversation(
        store: Store, tmp_path: Path) -> None:
    good = chatgpt_branching()
    bad = copy.deepcopy(good)
    bad["title"], bad["update_time"] = "Bad one", 7
    text = json.dumps([bad, good]).replace('"update_time": 7', '"update_time": 1' + "0" * 5000, 1)
    report = import_file(store, _write(tmp_path, "conversations.json", text))
    assert len(report.imported) == 1
    assert "5,001 digits" in report.skipped[0].reason


@pytest.mark.parametrize("leaf", [["a", "b"], {"node": 1}, 3])
def test_chatgpt_current_node_that_is_no_id_falls_back_to_the_newest_leaf(
        store: Store, tmp_path: Path, leaf) -> None:
    data = chatgpt_branching()
    expected = import_file(store, _write(tmp_path, "a.json", json.dumps([data])))
    data["current_node"] = leaf
    data["title"] = "Other"
    report = import_file(store, _write(tmp_path, "b.json", json.dumps([data])))
    assert len(report.imported) == 1
    assert report.imported[0].messages == expected.imported[0].messages


@pytest.mark.parametrize("leaf", [["a"], {"id": "x"}])
def test_openwebui_current_id_that_is_a_list_or_dict_skips_with_a_reason(
        store: Store, tmp_path: Path, leaf) -> None:
    good = openwebui_branching()
    bad = copy.deepcopy(good)
    bad["title"] = "Bad one"
    bad["chat"]["history"]["currentId"] = leaf
    report = import_file(store, _write(tmp_path, "owui.json", json.dumps([bad, good])))
    assert len(report.imported) == 1
    assert report.skipped[0].title == "Bad one"
    assert "currentId names no message" in report.skipped[0].reason


# -- item 9: our JSON -----------------------------------------------------------------

def test_agent_max_turns_above_2_63_keeps_the_chat_with_the_default_agent(
        store: Store, tmp_path: Path, ours: dict) -> None:
    ours["conversations"][0]["agent"]["max_turns"] = BIG
    report = import_file(store, _write(tmp_path, "ours.json", json.dumps(ours)))
    assert len(report.imported) == 1
    assert report.imported[0].agent == "Imported"
    assert any("max_turns is out of range" in note for note in report.notes)


def test_message_revision_above_2_63_skips_that_conversation(
        store: Store, tmp_path: Path, ours: dict) -> None:
    good = copy.deepcopy(ours["conversations"][0])
    bad = copy.deepcopy(good)
    bad["conversation"]["title"] = "Bad one"
    bad["messages"][2]["agent_revision"] = BIG
    ours["conversations"] = [bad, good]
    before = row_counts(store)
    report = import_file(store, _write(tmp_path, "ours.json", json.dumps(ours)))
    assert [i.title for i in report.imported] == ["Chat"]
    assert report.skipped[0].title == "Bad one"
    assert "message 3 agent_revision is out of range" in report.skipped[0].reason
    assert row_counts(store)["conversations"] == before["conversations"] + 1


def test_our_json_with_an_integer_of_5000_digits_skips_that_conversation(
        store: Store, tmp_path: Path, ours: dict) -> None:
    good = copy.deepcopy(ours["conversations"][0])
    bad = copy.deepcopy(good)
    bad["conversation"]["title"] = "Bad one"
    bad["messages"][1]["meta"] = {"n": 424242}
    ours["conversations"] = [bad, good]
    text = json.dumps(ours).replace("424242", "4" * 5000)
    report = import_file(store, _write(tmp_path, "ours.json", text))
    assert [i.title for i in report.imported] == ["Chat"]
    assert "5,000 digits" in report.skipped[0].reason


# -- item 2: dates outside year 1..9999 ------------------------------------------------

@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_date_just_outside_the_range_is_clamped_with_a_note(
        store: Store, tmp_path: Path, ours: dict, when: str) -> None:
    ours["conversations"][0]["conversation"]["created_at"] = when
    report = import_file(store, _write(tmp_path, "ours.json", json.dumps(ours)))
    assert len(report.imported) == 1
    assert any("outside years 1–9999" in note and when in note for note in report.notes)
    stored = store.conversations.get(report.imported[0].conversation_id)
    assert stored.damaged is None
    assert stored.created_at.year in (1, 9999)


@pytest.mark.parametrize("when", ["10000-01-01T00:00:00Z", "0000-06-01T00:00:00Z", 1e300])
def test_date_that_is_no_storable_date_is_refused_with_the_range(
        store: Store, tmp_path: Path, ours: dict, when) -> None:
    ours["conversations"][0]["conversation"]["created_at"] = when
    report = import_file(store, _write(tmp_path, "ours.json", json.dumps(ours)))
    assert report.imported == []
    assert "is not a date AgentDesk can store (ISO 8601, years 1–9999)" in \
        report.skipped[0].reason


def test_year_999_chat_imports_lists_and_exports_again(
        store: Store, tmp_path: Path, ours: dict) -> None:
    ours["conversations"][0]["conversation"]["created_at"] = "0999-01-01T00:00:00+00:00"
    for message in ours["conversations"][0]["messages"]:
        message["created_at"] = message["updated_at"] = "0999-01-01T00:00:01+00:00"
    report = import_file(store, _write(tmp_path, "ours.json", json.dumps(ours)))
    assert len(report.imported) == 1
    listed = store.conversations.list(include_archived=True)
    assert [c.created_at.year for c in listed] == [999]
    again = json.loads(render(load_bundles(store), "json"))
    assert again["conversations"][0]["conversation"]["created_at"].startswith("0999-01-01")


# -- item 12: dedupe without message times ---------------------------------------------

def test_our_json_without_message_times_is_not_duplicated_on_reimport(
        store: Store, tmp_path: Path, ours: dict) -> None:
    for message in ours["conversations"][0]["messages"]:
        message.pop("created_at")
        message.pop("updated_at")
    path = _write(tmp_path, "no-times.json", json.dumps(ours))
    first = import_file(store, path)
    assert len(first.imported) == 1
    before = row_counts(store)
    for _ in range(2):
        again = import_file(store, path)
        assert again.imported == []
        assert "already imported" in again.skipped[0].reason
    assert row_counts(store) == before


def test_our_json_without_message_times_matches_a_chat_already_here(
        store: Store, tmp_path: Path, ours: dict) -> None:
    """The same chat with times (imported first) is recognised in a copy of
    the file whose messages lost their times."""
    import_file(store, _write(tmp_path, "with-times.json", json.dumps(ours)))
    for message in ours["conversations"][0]["messages"]:
        del message["created_at"]
    before = row_counts(store)
    report = import_file(store, _write(tmp_path, "no-times.json", json.dumps(ours)))
    assert report.imported == []
    assert row_counts(store) == before


def test_messages_without_times_follow_the_conversation_start(
        store: Store, tmp_path: Path, ours: dict) -> None:
    for message in ours["conversations"][0]["messages"]:
        message.pop("created_at")
        message.pop("updated_at")
    report = import_file(store, _write(tmp_path, "no-times.json", json.dumps(ours)))
    conversation = store.conversations.get(report.imported[0].conversation_id)
    times = {m.created_at for m in store.messages.all(conversation.id)}
    assert times == {conversation.created_at}
