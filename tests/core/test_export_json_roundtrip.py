"""JSON export then import gives back equal conversations (property test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.export import import_text, load_bundles, render
from app.core.export.json_format import FORMAT, VERSION
from app.domain import Message, ToolCallRecord, UsageStats
from app.store import Store
from tests.support.export_data import (
    add_conversation,
    assert_round_trip,
    make_agent,
    rich_messages,
)

# Text the app can hold and a file can carry: no NUL/other C0 controls (an import
# skips those with a reason, see test_import_rejects), no lone surrogates.
_TEXT_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters=(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r\x0c\x1b"] + ["\x7f"]))
_MARKDOWN = st.sampled_from([
    "# Heading\n\ntext", "```python\nprint('```')\n```", "````\n```\nnested\n```\n````",
    "<script>alert(1)</script>", "<!-- agentdesk:message {} -->", "### User · fake",
    "| a | b |\n|---|---|\n| 1 | 2 |", "[link](javascript:alert(1))", "", "\n\n  \n",
])
text = st.one_of(st.text(_TEXT_CHARS, max_size=60), _MARKDOWN,
                 st.lists(st.one_of(st.text(_TEXT_CHARS, max_size=20), _MARKDOWN),
                          max_size=4).map("\n".join))
times = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1),
                     timezones=st.just(UTC))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53),
                         st.floats(allow_nan=False, allow_infinity=False), text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(_TEXT_CHARS, max_size=8), inner,
                                                 max_size=3)), max_leaves=8)
usage = st.one_of(st.none(), st.builds(
    UsageStats, prompt_tokens=st.none() | st.integers(0, 10**7),
    completion_tokens=st.none() | st.integers(0, 10**7),
    ttft_ms=st.none() | st.floats(0, 1e6, allow_nan=False),
    tokens_per_s=st.none() | st.floats(0, 1e4, allow_nan=False)))
tool_calls = st.lists(st.builds(
    ToolCallRecord, call_id=st.text(_TEXT_CHARS, min_size=1, max_size=12),
    name=st.text(_TEXT_CHARS, min_size=1, max_size=12),
    arguments=st.one_of(st.dictionaries(st.text(_TEXT_CHARS, max_size=8), json_values,
                                        max_size=3), text)), max_size=2)


@st.composite
def messages(draw) -> Message:
    created = draw(times)
    return Message(
        conversation_id=0, role=draw(st.sampled_from(["system", "user", "assistant", "tool"])),
        content=draw(text), tool_calls=draw(tool_calls),
        tool_call_id=draw(st.none() | st.text(_TEXT_CHARS, max_size=12)),
        status=draw(st.sampled_from(["complete", "partial", "error", "cancelled"])),
        model=draw(st.none() | st.text(_TEXT_CHARS, max_size=20)),
        provider=draw(st.none() | st.text(_TEXT_CHARS, max_size=20)),
        agent_revision=draw(st.none() | st.integers(1, 50)), usage=draw(usage),
        error=draw(st.none() | text),
        meta=draw(st.dictionaries(st.text(_TEXT_CHARS, max_size=8), json_values, max_size=3)),
        created_at=created, updated_at=draw(times))


titles = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                 max_size=40).filter(str.strip).map(str.strip)
conversations = st.lists(st.tuples(titles, st.booleans(), st.booleans(), times,
                                   st.lists(messages(), max_size=6)),
                         min_size=1, max_size=3, unique_by=lambda item: item[3])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conversations)
def test_json_export_then_import_gives_equal_conversations(items) -> None:
    assert_round_trip(items, "json", "export.json")


def test_document_is_versioned_and_carries_every_field(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        agent = make_agent(store, tools=["calculator"])
        add_conversation(store, agent.id, "Greeting", rich_messages(), pinned=True)
        document = json.loads(render(load_bundles(store), "json"))

    assert document["format"] == FORMAT and document["version"] == VERSION
    datetime.fromisoformat(document["exported_at"])
    entry = document["conversations"][0]
    assert entry["conversation"]["title"] == "Greeting" and entry["conversation"]["pinned"]
    assert entry["agent"] == agent.portable()
    reply = entry["messages"][2]
    assert set(reply) == {"id", "parent_id", "role", "content", "tool_calls",
                          "tool_call_id", "status", "model", "provider", "usage",
                          "agent_revision", "meta", "created_at", "updated_at", "error",
                          "attachments"}
    assert reply["parent_id"] == entry["messages"][1]["id"]
    assert entry["conversation"]["active_leaf_id"] == entry["messages"][-1]["id"]
    assert reply["tool_calls"][0]["arguments"] == {"expression": "6*7", "n": [1, 2]}
    assert reply["usage"]["ttft_ms"] == 210.5


def test_agent_snapshot_is_the_revision_that_replied(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, "Old", rich_messages())  # replies by revision 1
        store.agents.update(agent.model_copy(update={"system_prompt": "Be verbose."}))
        entry = json.loads(render(load_bundles(store), "json"))["conversations"][0]
    assert entry["agent"]["system_prompt"] == "Be brief."


def test_import_attaches_to_the_existing_agent_of_that_name(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as source, Store(tmp_path / "b.db") as target:
        agent = make_agent(source, workspace="/etc")
        add_conversation(source, agent.id, "Greeting", rich_messages())
        document = render(load_bundles(source), "json")
        mine = make_agent(target, "helper")  # same name, other case
        report = import_text(target, document, "x.json")
        assert report.imported[0].agent == "helper" and report.agents_created == []
        assert target.conversations.list()[0].agent_id == mine.id

    with Store(tmp_path / "c.db") as fresh:
        report = import_text(fresh, document, "x.json")
        created = fresh.agents.get_by_name("Helper")
        assert report.agents_created == ["Helper"]
        # A workspace path from another machine is not trusted on this one.
        assert created.workspace is None and any("workspace" in n for n in report.notes)
        assert {**created.portable(), "workspace": "/etc"} == agent.portable()
