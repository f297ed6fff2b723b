"""The durability contract under SIGKILL.

A writer process (writer.py) records conversations through the real recorder
and store and prints a line after each commit. The parent kills it at a random
moment, then opens the database with ``Store`` and checks that it is intact,
that every commit the writer reported is there, and that the reply cut short is
``partial`` with at least what was reported flushed.
"""

from __future__ import annotations

import importlib.util
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.store import Store

WRITER = Path(__file__).with_name("writer.py")
KILLS = 24
KILLS_PER_DATABASE = 6          # later kills hit a database that has grown
SEED = 20240611
MAX_REPLY_TOKENS = 301          # the writer streams at most 300 tokens per reply


def _load_writer():
    spec = importlib.util.spec_from_file_location("durability_writer", WRITER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


writer = _load_writer()


class WriterProcess:
    """The writer, with its stdout read line by line on a thread."""

    def __init__(self, db_path: Path, stderr_path: Path, *args: str) -> None:
        self._stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(db_path), *args],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        self.lines: list[str] = []
        self.ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.endswith("\n"):
                break                   # a line cut by the kill proves nothing
            self.lines.append(line.rstrip("\n"))
            if line == "READY\n":
                self.ready.set()

    def kill_and_collect(self) -> list[str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=10)
        self._stderr.close()
        return list(self.lines)


@dataclass
class Ledger:
    """Everything the writers reported as committed to one database."""

    users: dict[int, str] = field(default_factory=dict)        # id -> nonce
    replies: dict[int, str] = field(default_factory=dict)      # id -> nonce
    flushed: dict[int, int] = field(default_factory=dict)      # id -> longest flush
    completed: dict[int, int] = field(default_factory=dict)    # id -> final length
    last_reply_of_run: set[int] = field(default_factory=set)

    def take(self, lines: list[str]) -> int | None:
        """Add one run's lines; returns the reply that was streaming at the kill."""
        last_reply = None
        for line in lines:
            kind, *rest = line.split()
            if kind == "U":
                self.users[int(rest[0])] = rest[1]
            elif kind == "S":
                last_reply = int(rest[0])
                self.replies[last_reply] = rest[1]
            elif kind == "F":
                message_id, length = int(rest[0]), int(rest[1])
                assert length >= self.flushed.get(message_id, 0), "flushes must grow"
                self.flushed[message_id] = length
            elif kind == "C":
                self.completed[int(rest[0])] = int(rest[1])
            else:
                assert kind == "READY", f"unexpected writer output {line!r}"
        if last_reply is not None:
            self.last_reply_of_run.add(last_reply)
        return last_reply if last_reply not in self.completed else None


def verify(db_path: Path, ledger: Ledger) -> None:
    with Store(db_path) as store:
        check = store.db.execute_sql("PRAGMA integrity_check").fetchall()
        assert check == [("ok",)]
        # The FTS index, rewritten by a trigger on every flush, matches its table.
        store.db.execute_sql("INSERT INTO messages_fts(messages_fts) "
                             "VALUES ('integrity-check')")
        streaming = store.db.execute_sql(
            "SELECT COUNT(*) FROM messages WHERE status = 'streaming'").fetchone()[0]
        assert streaming == 0
        recovered = set(store.recovered_message_ids)
        assert not recovered & (set(ledger.users) | set(ledger.completed))

        for message_id, nonce in ledger.users.items():
            message = store.messages.get(message_id)
            assert (message.role, message.status) == ("user", "complete")
            assert message.content == writer.user_text(nonce)

        for message_id, nonce in ledger.replies.items():
            message = store.messages.get(message_id)
            assert message.role == "assistant"
            full = writer.reply_text(nonce, MAX_REPLY_TOKENS)
            assert full.startswith(message.content), "stored text is not what was sent"
            assert len(message.content) >= ledger.flushed.get(message_id, 0)
            if message_id in ledger.completed:
                assert message.status == "complete"
                assert len(message.content) == ledger.completed[message_id]
                assert message.usage is not None
            elif message.status != "partial":
                # Killed after the final commit but before it was reported.
                assert message_id in ledger.last_reply_of_run
                assert message.status == "complete"


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigkill_at_random_points_loses_no_committed_message(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    ledgers: dict[Path, Ledger] = {}
    mid_stream_kills = 0
    started = time.monotonic()
    for kill in range(KILLS):
        db_path = tmp_path / f"db{kill // KILLS_PER_DATABASE}" / "agentdesk.db"
        ledger = ledgers.setdefault(db_path, Ledger())
        child = WriterProcess(db_path, tmp_path / f"writer{kill}.err",
                              "--seed", str(rng.randrange(1 << 30)))
        delay = rng.uniform(0.05, 0.8)
        try:
            if kill % 8 != 7:
                # Most kills land while writing; every eighth may hit start-up,
                # schema migration or crash recovery instead.
                assert child.ready.wait(timeout=30), "writer did not start"
            time.sleep(delay)
        finally:
            lines = child.kill_and_collect()
        assert child.proc.returncode == -signal.SIGKILL, (
            f"writer ended on its own: {(tmp_path / f'writer{kill}.err').read_text()}")
        if ledger.take(lines) is not None:
            mid_stream_kills += 1
        verify(db_path, ledger)

    elapsed = time.monotonic() - started
    print(f"{KILLS} kills in {elapsed:.1f} s, {mid_stream_kills} mid-stream")
    total_flushes = sum(len(ledger.flushed) for ledger in ledgers.values())
    assert mid_stream_kills >= KILLS // 4, "too few kills hit a streaming reply"
    assert total_flushes > 0
    assert sum(len(ledger.completed) for ledger in ledgers.values()) > 0


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_user_message_survives_a_kill_right_after_it_is_recorded(tmp_path: Path) -> None:
    db_path = tmp_path / "agentdesk.db"
    child = WriterProcess(db_path, tmp_path / "writer.err", "--mode", "die-after-user")
    child.proc.wait(timeout=30)
    lines = child.kill_and_collect()
    assert child.proc.returncode == -signal.SIGKILL
    users = [line.split() for line in lines if line.startswith("U ")]
    assert len(users) == 1
    _, message_id, nonce = users[0]
    with Store(db_path) as store:
        assert store.integrity_ok()
        message = store.messages.get(int(message_id))
    assert (message.role, message.status) == ("user", "complete")
    assert message.content == writer.user_text(nonce)
