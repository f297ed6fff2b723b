"""Every importer against hostile files (issue 21, "hostile input").

Each input starts from a real file of its format, written by the app itself
(our JSON and Markdown exports, an agent file, a workflow file) or by the
vendors' shapes (ChatGPT, Open WebUI), and is mutated two ways: structurally
(a field replaced by arbitrary JSON: huge or long integers, lists and dicts
where ids go, deep nesting) or as bytes (flipped, cut, spliced, invalid UTF-8,
a nesting bomb). It then goes through the entry point the window and CLI use,
as a file on disk, into a real SQLite store:

- conversations: ``exchange.import_conversations`` (ImportRejected is the
  app's clear error) and ``exchange.import_files`` (drops: never raises);
- agent files: ``exchange.import_files`` (AgentFileError becomes a skip);
- workflow files: ``ops.workflows.import_workflow`` (WorkflowFileError, or
  WorkflowProblem for a workflow naming agents neither the file nor the
  store has: both are what ``agentdesk workflows import`` reports).

Checked per input: nothing but the app's own error type escapes; a refused
file changes no row of any table (a digest of every table's row count and
highest rowid, before and after); an accepted one adds exactly the rows it
reports (``losses`` counts any difference); an imported agent never brings a
workspace. Time: each input is timed on its own, including its SQLite commit;
the bound (20 s) is far above the ~0.1 s these files take (4.3 s was the
slowest of 5,544 in a long run on a loaded 2-core machine, where a commit's
fsync can wait on other jobs' disk writes) and catches blow-ups like issue
15's 32 s.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from peewee import OperationalError
from hypothesis import strategies as st

from app.core.export import ImportRejected, load_bundles, render
from app.core.export.agent_file import AgentFileError, agent_json
from app.core.export.markdown_format import export_markdown
from app.core.workflows.workflow_file import WorkflowFileError, workflow_json
from app.domain import AgentSpec
from app.domain.workflow import WorkflowSpec
from app.ops import exchange
from app.ops import workflows as workflow_ops
from app.store import Store
from tests.core.test_import_foreign import chatgpt_branching, openwebui_branching
from tests.reliability.hostile_support import LONG_TIMEOUT, Tally, profile
from tests.support.export_data import add_conversation, make_agent, rich_messages

pytestmark = LONG_TIMEOUT
BOUND_SECONDS = 20.0

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=20), st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, 10**30, -1, 0, "", "\x00", "../../etc"]),
    st.floats(allow_nan=True, allow_infinity=True))
JSONISH = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
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
    copied = json.loads(json.dumps(value))
    holder = copied
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = new
    return copied


@st.composite
def structured(draw, sample: Any) -> bytes:
    """``sample`` with 1-3 values (anywhere in it) replaced by arbitrary JSON."""
    changed = sample
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(changed)
        deep = [p for p in paths if len(p) >= 3]   # mostly inside: past the format check
        pick = deep if deep and draw(st.integers(0, 3)) else paths
        changed = _replace(changed, draw(st.sampled_from(pick)), draw(JSONISH))
    return json.dumps(changed).encode()


@st.composite
def byte_level(draw, sample: bytes) -> bytes:
    """``sample`` cut, spliced with junk, bytes flipped, or wrapped in a
    nesting bomb; seeded by hypothesis, so it shrinks and reproduces."""
    data = bytearray(sample)
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "splice", "invalid-utf8", "bomb", "dup"]))
        at = rng.randrange(len(data) + 1)
        if how == "flip" and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif how == "cut":
            del data[at:]
        elif how == "splice":
            data[at:at] = draw(st.binary(max_size=40))
        elif how == "invalid-utf8":
            data[at:at] = b"\xff\xfe\xc3\x28\xed\xa0\x80"
        elif how == "bomb":    # where a value starts (after a ':'), so a parser meets it
            depth = draw(st.sampled_from([100, 5_000, 200_000]))
            colon = data.find(b":", at)
            at = colon + 1 if colon >= 0 else at
            data[at:at] = b"[" * depth + b"{\"a\":" * (depth // 10)
        elif how == "dup":
            end = min(len(data), at + rng.randrange(1, 4096))
            data[at:at] = data[at:end] * rng.randrange(1, 50)
    return bytes(data)


def nesting_bomb(sample: bytes, depth: int = 200_000) -> bytes:
    """``sample`` with ``[[[[…`` where its first value starts: json.loads gives
    up with a RecursionError (not a ValueError) — issue 21 found agent and
    workflow files crashing on it."""
    colon = sample.index(b":") + 1
    return sample[:colon] + b"[" * depth + sample[colon:]


def mutated(sample_json: Any, sample_bytes: bytes):
    return st.one_of(structured(sample_json), byte_level(sample_bytes))


def table_digest(store: Store) -> dict[str, tuple[int, int]]:
    """Every table's (row count, highest rowid): a refused import must leave
    each exactly as it was."""
    db = store.db
    names = [row[0] for row in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
        "'%VIRTUAL%' AND name NOT LIKE 'sqlite_%'").fetchall()]
    digest = {}
    for name in names:
        try:
            row = db.execute_sql(f'SELECT COUNT(*), MAX(rowid) FROM "{name}"').fetchone()
        except OperationalError:   # a WITHOUT ROWID table has no rowid
            row = (db.execute_sql(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0], 0)
        digest[name] = (row[0], row[1] or 0)
    return digest


def _rows_added(before: dict, after: dict, table: str) -> int:
    return after[table][0] - before[table][0]


# -- real files of each format, made once -----------------------------------------------
def _our_exports() -> tuple[Any, bytes, bytes]:
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "db.sqlite") as store:
        agent = make_agent(store)
        add_conversation(store, agent.id, "Chat", rich_messages())
        bundles = load_bundles(store)
        text = render(bundles, "json")
        return json.loads(text), text.encode(), export_markdown(bundles).encode()


OURS, OURS_BYTES, OURS_MD = _our_exports()
GENERIC_MD = ("# Trip\n\n## User\n\nWhere to?\n\n```\n## Assistant inside a fence\n```\n\n"
              "## Assistant\n\nLisbon.\n\n---\n\n### You\n\nWhy?\n").encode()
CONVERSATION_SAMPLES = {
    "ours.json": (OURS, OURS_BYTES),
    "conversations.json": ([chatgpt_branching()], json.dumps([chatgpt_branching()]).encode()),
    "owui.json": ([openwebui_branching()], json.dumps([openwebui_branching()]).encode()),
}
AGENT = AgentSpec(name="Helper", provider="local", model="gemma3", system_prompt="Be brief.",
                  tools=["python", "write_file"], tool_policies={"python": "ask"})
AGENT_TEXT = agent_json(AGENT)


def _workflow_text() -> str:
    reviewer = AGENT.model_copy(update={"name": "Reviewer"})
    spec = WorkflowSpec(name="Review", kind="chain", description="Draft, then check.",
                        agents=["Helper", "Reviewer"])
    return workflow_json(spec, [AGENT, reviewer])


WORKFLOW_TEXT = _workflow_text()


# -- the properties ----------------------------------------------------------------------
def test_hostile_conversation_files_are_imported_or_refused_cleanly(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    make_agent(store, "Existing")
    tally = Tally("conversation importers", BOUND_SECONDS)
    strategies = [st.tuples(st.just(name), mutated(*sample))
                  for name, sample in CONVERSATION_SAMPLES.items()]
    strategies += [st.tuples(st.just("chat.md"), byte_level(OURS_MD)),
                   st.tuples(st.just("transcript.md"), byte_level(GENERIC_MD))]

    @profile(300)
    @example(("ours.json", nesting_bomb(OURS_BYTES)))
    @given(st.one_of(strategies))
    def check(case: tuple[str, bytes]) -> None:
        name, data = case
        path = tmp_path / name
        path.write_bytes(data)
        before = table_digest(store)
        report = None
        with tally.example(ImportRejected):
            report = exchange.import_conversations(store, path)
        after = table_digest(store)
        if report is None:
            tally.losses += int(after != before)
            assert after == before, "a refused file changed the database"
            return
        wrote = _rows_added(before, after, "conversations")
        messages = _rows_added(before, after, "messages")
        expected = (len(report.imported), sum(item.messages for item in report.imported))
        tally.losses += int((wrote, messages) != expected)
        assert (wrote, messages) == expected, (report, wrote, messages)
        for item in report.imported:
            assert store.conversations.get(item.conversation_id).damaged is None

    try:
        check()
    finally:
        store.close()
        tally.report()


def test_hostile_agent_files_are_imported_without_grants_or_skipped(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    tally = Tally("agent files", BOUND_SECONDS)

    @profile(150)
    @example(nesting_bomb(AGENT_TEXT.encode()))
    @example(nesting_bomb(AGENT_TEXT.encode()[:40] + b"[" * 200_000))
    @given(mutated(json.loads(AGENT_TEXT), AGENT_TEXT.encode()))
    def check(data: bytes) -> None:
        path = tmp_path / "helper.agent.json"
        path.write_bytes(data)
        before = table_digest(store)
        with tally.example(AgentFileError, ImportRejected):
            # The drop/open path: never raises, lists what it skipped and why.
            summary = exchange.import_files(store, [path])
            after = table_digest(store)
            if not summary.agents and not summary.imported:
                assert summary.skipped and all(reason for _, reason in summary.skipped)
                tally.refused += 1
                tally.losses += int(after != before)
                assert after == before, "a skipped file changed the database"
            for agent in summary.agents:
                assert agent.workspace is None          # never the file's folder
                assert not agent.python_unisolated and not agent.api_tools

    try:
        check()
    finally:
        store.close()
        tally.report()


def test_hostile_workflow_files_are_imported_or_refused_cleanly(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    tally = Tally("workflow files", BOUND_SECONDS)

    @profile(150)
    @example(nesting_bomb(WORKFLOW_TEXT.encode()))
    @given(mutated(json.loads(WORKFLOW_TEXT), WORKFLOW_TEXT.encode()))
    def check(data: bytes) -> None:
        path = tmp_path / "review.workflow.json"
        path.write_bytes(data)
        before = table_digest(store)
        imported = None
        with tally.example(WorkflowFileError, workflow_ops.WorkflowProblem):
            imported = workflow_ops.import_workflow(store, path)
        after = table_digest(store)
        if imported is None:
            tally.losses += int(after != before)
            assert after == before, "a refused workflow file changed the database"
        else:
            assert store.workflows.find_by_name(imported.workflow.name) is not None
            for name in imported.created_agents:
                assert store.agents.find_by_name(name).workspace is None

    try:
        check()
    finally:
        store.close()
        tally.report()
