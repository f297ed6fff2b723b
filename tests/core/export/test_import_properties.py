"""Properties of every importer (issue 15): arbitrary JSON-ish or text input
never raises anything but ImportRejected (the typed whole-file refusal), and
what parses is bounded by the input. Inputs start from a real export of each
format and mutate it: a field replaced by arbitrary JSON (huge and long
integers, lists and dicts where ids go, deep nesting), or the text cut and
spliced."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.export import ImportRejected, import_text, load_bundles, parse_source, render
from app.core.export.markdown_format import export_markdown
from app.store import Store
from tests.core.test_import_foreign import chatgpt_branching, openwebui_branching
from tests.support.export_data import add_conversation, make_agent, rich_messages

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# JSON values as hostile files hold them: huge, negative, float extremes,
# unhashable where keys go, nested.
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=20),
    st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**400, 10**30, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True))
JSONISH = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def _our_export() -> tuple[dict, str]:
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "db.sqlite") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, "Chat", rich_messages())
        bundles = load_bundles(store)
        return json.loads(render(bundles, "json")), export_markdown(bundles)


OURS, OURS_MD = _our_export()
_FOLDER = tempfile.TemporaryDirectory()
# One database for every example (imports only add): the write path is part
# of the property (a revision over 2^63 used to fail only on save).
STORE = Store(Path(_FOLDER.name) / "db.sqlite")
# Fields the probe broke, mutated more often than the rest.
_HOT = ("current_node", "currentId", "create_time", "update_time", "created_at",
        "max_turns", "agent_revision", "revision", "parent_id", "id", "active_leaf_id",
        "parts", "mapping", "history", "messages", "usage", "meta", "tool_calls")
GENERIC_MD = ("# Trip\n\n## User\n\nWhere to?\n\n```\n## Assistant inside a fence\n```\n\n"
              "## Assistant\n\nLisbon.\n\n---\n\n### You\n\nWhy?\n")
SAMPLES = {"ours": OURS, "chatgpt": [chatgpt_branching()], "openwebui": [openwebui_branching()]}


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(value)
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return copied


def _parse(text: str, name: str) -> None:
    """Parse, then store in a real database: a typed refusal is fine, a
    skipped conversation must say why; anything else fails the test."""
    try:
        fmt, parsed, skipped, notes = parse_source(text, name)
    except ImportRejected as exc:
        assert str(exc)
        return
    for item in parsed:
        assert len(item.messages) <= max(1, len(text))
        assert all(isinstance(m.content, str) for m in item.messages)
    assert all(isinstance(reason, str) and reason for _, reason in skipped)
    report = import_text(STORE, text, name)
    for done in report.imported:     # what was written reads back
        assert STORE.conversations.get(done.conversation_id).damaged is None
        assert len(STORE.messages.all(done.conversation_id)) == done.messages


@st.composite
def mutated_json(draw, kind: str) -> str:
    sample = SAMPLES[kind]
    paths = _paths(sample)
    changed = sample
    for _ in range(draw(st.integers(1, 3))):
        hot = [p for p in paths if p and p[-1] in _HOT]
        path = draw(st.sampled_from(hot if hot and draw(st.booleans()) else paths))
        changed = _replace(changed, path, draw(JSONISH))
        paths = _paths(changed)
    text = json.dumps(changed)
    if draw(st.booleans()):   # a literal of 5,000 digits somewhere a number is
        text = text.replace("1", "1" + "0" * 5000, 1) if draw(st.booleans()) else text
    return text


@SETTINGS
@given(mutated_json("ours"))
def test_our_json_never_raises_an_untyped_error(text: str) -> None:
    _parse(text, "ours.json")


@SETTINGS
@given(mutated_json("chatgpt"))
def test_chatgpt_never_raises_an_untyped_error(text: str) -> None:
    _parse(text, "conversations.json")


@SETTINGS
@given(mutated_json("openwebui"))
def test_openwebui_never_raises_an_untyped_error(text: str) -> None:
    _parse(text, "owui.json")


@st.composite
def spliced(draw, base: str) -> str:
    """The text with a slice cut out and arbitrary text (often Markdown or a
    data comment with JSON-ish content) put in its place."""
    start = draw(st.integers(0, len(base)))
    end = draw(st.integers(start, min(len(base), start + 400)))
    insert = draw(st.one_of(
        st.text(max_size=60),
        st.sampled_from(["\n## User\n", "\n```\n", "\n### Assistant\n", "<!-- ",
                         " -->\n", "\r\n", "\ufeff"]),
        JSONISH.map(lambda v: f'<!-- agentdesk:message {json.dumps(v)} -->\n')))
    return base[:start] + insert + base[end:]


@SETTINGS
@given(spliced(OURS_MD))
def test_our_markdown_never_raises_an_untyped_error(text: str) -> None:
    _parse(text, "chat.md")


@SETTINGS
@given(st.one_of(spliced(GENERIC_MD), st.text(max_size=400)))
def test_generic_markdown_never_raises_an_untyped_error(text: str) -> None:
    _parse(text, "transcript.md")


@SETTINGS
@given(st.text(alphabet='[]{},:"\\ ab1\n', max_size=300))
def test_json_cost_bounds_the_values_of_any_json_text(text: str) -> None:
    """Whatever json.loads makes of a text, it is no more values than the
    scan counted (so the budget is charged before the objects exist)."""
    from app.core.export.memory_budget import json_cost

    values, _ = json_cost(text)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    assert _count_values(data) <= values


def _count_values(data: Any) -> int:
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            count += len(item)        # keys
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
