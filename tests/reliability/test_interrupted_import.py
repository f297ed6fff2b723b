"""Interrupted work: ``agentdesk conversations import`` of a large AgentDesk
JSON export killed (SIGKILL) at seeded random moments.

The moments are spread over the length of a whole import of the file
(measured first, into a data folder of its own, which is also the reference).
Each kill lands on a copy of the same starting data. Afterwards the database
passes integrity_check and holds either none of the file's conversations or
all of them, each with every message (never half a conversation, never some
of the file); then the import is run again and the data holds exactly one
copy of each conversation, the same as the reference.
"""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from interrupt_runs import agentdesk, cli_env, integrity_ok, kill_count, kill_when, \
    run_cli, seeded

from app.core.export import load_bundles, render
from app.store import Store
from tests.support.export_data import T0, add_conversation, make_agent, rich_messages, \
    snapshot
from tests.support.reliability_summary import record

CONVERSATIONS = 800


def write_export(folder: Path) -> Path:
    """A JSON export of CONVERSATIONS conversations of five messages each."""
    with Store(folder / "source.db") as source:
        agent = make_agent(source, "Archivist")
        for number in range(CONVERSATIONS):
            start = T0 + timedelta(minutes=number)
            add_conversation(source, agent.id, f"Old chat {number}", rich_messages(start),
                             created=start, fingerprint=str(number))
        path = folder / "export.json"
        path.write_text(render(load_bundles(source), "json"), encoding="utf-8")
    return path


def conversations_of(home: Path) -> dict[str, int]:
    """Title -> number of messages, for the imported conversations (opened as
    the next start opens the data)."""
    with Store.in_folder(home) as store:
        assert store.integrity_ok()
        return {c.title: len(store.messages.all(c.id))
                for c in store.conversations.list(include_archived=True, limit=100_000)
                if c.title.startswith("Old chat ")}


@pytest.mark.timeout(900)
def test_killed_imports_leave_nothing_or_everything_and_rerun_gives_one_copy(
        tmp_path: Path) -> None:
    export = write_export(tmp_path)
    base = tmp_path / "base"
    with Store.in_folder(base) as store:
        make_agent(store, "Helper")               # data the person already had
    reference = tmp_path / "reference"
    shutil.copytree(base, reference)
    started = time.monotonic()
    whole = run_cli(reference, "conversations", "import", str(export))
    duration = time.monotonic() - started
    assert whole.returncode == 0, whole.stderr
    with Store.in_folder(reference) as store:
        expected = snapshot(store)
    seed, rng = seeded()
    runs = kill_count()
    killed = nothing = everything = half_written_used = losses = duplicates = 0
    for number in range(runs):
        home = tmp_path / f"home{number}"
        shutil.copytree(base, home)
        at = rng.uniform(0.15, 1.0) * duration
        run = kill_when(agentdesk("conversations", "import", str(export)), cli_env(home),
                        after_seconds=at)
        killed += run.killed
        assert integrity_ok(home / "agentdesk.db"), f"run {number} (seed {seed}, {at:.2f} s)"
        found = conversations_of(home)
        if not found:
            nothing += 1
        elif len(found) == CONVERSATIONS and set(found.values()) == {5}:
            everything += 1
        else:                                      # part of the file, or half a conversation
            half_written_used += 1
        again = run_cli(home, "conversations", "import", str(export))
        assert again.returncode == 0, again.stderr
        found = conversations_of(home)
        losses += CONVERSATIONS - len(found)
        with Store.in_folder(home) as store:
            stored = snapshot(store)
        duplicates += len(stored) - len(expected)
        losses += stored != expected and len(stored) == len(expected)
    print(f"\ninterrupted import: {runs} runs of a {export.stat().st_size // 1_000_000} MB "
          f"export ({CONVERSATIONS} conversations; a whole import {duration:.1f} s), "
          f"{killed} killed, afterwards {nothing} with nothing and {everything} with all of "
          f"it, {half_written_used} with part of it; after the re-run {losses} lost, "
          f"{duplicates} extra copies (seed {seed})")
    record("interrupted work", runs=runs, killed=killed, resumed=runs, losses=losses,
           half_written_used=half_written_used)
    assert half_written_used == 0 and losses == 0 and duplicates == 0
    assert killed >= 1, "every import ended before its kill"
