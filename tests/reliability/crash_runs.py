"""Kill runs for the crash-consistency suite: start a process that streams a
reply from the real llama.cpp server into the database, SIGKILL it at a random
moment, and check what a person would find afterwards.

A *kill point* is chosen per run: a time after start (before or around the
first token) or the arrival of the k-th token on the process's stdout. The
process prints one JSON line per token it shows (``agentdesk chat --json``;
the GUI driver prints the same), so the test knows what was shown before the
kill.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.domain import Message
from app.store import Store

FINAL = {"complete", "partial", "error", "cancelled"}


@dataclass
class KillPoint:
    after_seconds: float | None = None     # kill this long after the start…
    after_tokens: int | None = None        # …or once this many tokens were shown

    @classmethod
    def random(cls, rng: random.Random) -> KillPoint:
        if rng.random() < 0.3:
            return cls(after_seconds=rng.uniform(0.2, 3.0))
        return cls(after_tokens=rng.randint(1, 48))


@dataclass
class KillRun:
    shown: list[str] = field(default_factory=list)    # token texts shown before the kill
    conversation_id: int | None = None
    killed: bool = False                 # False: it finished before the kill point
    seconds: float = 0.0
    waited_out: bool = False             # nothing came before the limit


def kill_at(command: list[str], env: dict[str, str], point: KillPoint, *,
            cwd: Path, limit: float = 90.0) -> KillRun:
    """Run ``command``, SIGKILL it at ``point``; what it showed until then."""
    run = KillRun()
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    enough = threading.Event()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("type") == "conversation":
                run.conversation_id = int(event["conversation_id"])
            elif event.get("type") == "token":
                run.shown.append(event["text"])
                if point.after_tokens is not None and len(run.shown) >= point.after_tokens:
                    enough.set()
            elif event.get("type") in ("done", "error"):
                enough.set()                      # the reply ended before the kill point
        enough.set()                              # the process ended by itself

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait = point.after_seconds if point.after_seconds is not None else limit
    run.waited_out = not enough.wait(wait) and point.after_seconds is None
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
        run.killed = True
    process.wait(30)
    reader.join(30)
    run.seconds = time.monotonic() - started
    return run


def check_after_kill(home: Path, before: dict[int, Message], run: KillRun,
                     question: str) -> dict[int, Message]:
    """Open the data as the next start does and check it; returns every message
    now stored (the next run's ``before``). Raises AssertionError on a loss."""
    with Store.in_folder(home) as store:          # recovers replies left streaming
        assert store.integrity_ok(), "integrity_check failed after a kill"
        now: dict[int, Message] = {}
        for agent in store.agents.list():
            for chat in store.conversations.list(agent.id, include_archived=True):
                for message in store.messages.all(chat.id):
                    now[message.id] = message        # type: ignore[index]
    for message_id, old in before.items():          # nothing committed is lost…
        assert message_id in now, f"message {message_id} was lost"
        assert now[message_id].content == old.content, f"message {message_id} changed"
    assert all(m.status in FINAL for m in now.values()), "a reply was left streaming"
    if run.conversation_id is not None:
        mine = [m for m in now.values() if m.conversation_id == run.conversation_id]
        asked = [m for m in mine if m.role == "user" and m.content == question]
        if run.shown:                             # …and a reply that had begun was asked
            assert asked, "the question of a reply that had begun is missing"
        replies = [m for m in mine if m.role == "assistant" and m.id not in before]
        shown = "".join(run.shown)
        for reply in replies:                     # kept as partial: a prefix of the reply
            assert reply.status in ("partial", "complete", "error", "cancelled")
            assert shown.startswith(reply.content) or reply.content.startswith(shown), (
                f"stored {reply.content!r} and shown {shown!r} disagree")
    return now
