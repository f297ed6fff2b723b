"""Another process that has the database open, as a terminal's
``agentdesk chat`` would while the window starts (app/store/writer_lease.py):
it opens the store without recovering, says so, and holds it until killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.domain import AgentSpec, Message
from app.store import Store

ROOT = Path(__file__).resolve().parents[2]
_HOLDER = """
import sys
from app.store import Store
store = Store(sys.argv[1], recover=False)
print("open", flush=True)
sys.stdin.read()
"""


def streaming_reply(db_path: Path, content: str = "so far") -> int:
    """A new chat whose reply was left ``streaming``; its message id."""
    with Store(db_path) as store:
        agent = store.agents.create(AgentSpec(name="a"))
        chat = store.conversations.create(agent.id)
        return store.messages.add(Message(conversation_id=chat.id, role="assistant",
                                          content=content, status="streaming")).id


@contextmanager
def held_open(db_path: Path) -> Iterator[subprocess.Popen]:
    """A process holding ``db_path`` open; ``kill_holder`` ends it the way a
    crash does (SIGKILL: no clean-up runs). Killed on leaving in any case."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(db_path)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        yield holder
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(30)


def kill_holder(holder: subprocess.Popen) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(30)
