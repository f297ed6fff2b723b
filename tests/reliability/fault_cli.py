"""Running the headless ``agentdesk chat`` through provider faults, and
checking what each fault leaves behind (tests/reliability/test_provider_faults_*.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from app.domain import Message
from tests.reliability.provider_faults import check_clear, failed_turn_losses

ROOT = Path(__file__).resolve().parents[2]
TURN_SECONDS = 180          # one CLI turn, a real model on 2 loaded cores included


def chat_args(home: Path, message: str, conversation: int | None) -> list[str]:
    more = ["--conversation", str(conversation)] if conversation else ["--json"]
    return [sys.executable, "-m", "app", "--home", str(home), "chat", "--agent", "Gemma",
            *more, message]


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "AGENTDESK_HOME": str(home)}
    env.pop("AGENTDESK_LOGGING__LEVEL", None)
    return env


def chat(home: Path, message: str, conversation: int | None = None
         ) -> subprocess.CompletedProcess:
    """One ``agentdesk chat`` run to its end (a new chat prints NDJSON)."""
    return subprocess.run(chat_args(home, message, conversation), cwd=ROOT, env=cli_env(home),
                          capture_output=True, text=True, timeout=TURN_SECONDS)


def chat_process(home: Path, message: str, conversation: int) -> subprocess.Popen:
    """``agentdesk chat`` started, its output read by the caller."""
    return subprocess.Popen(chat_args(home, message, conversation), cwd=ROOT,
                            env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def first_turn(home: Path, message: str) -> int:
    done = chat(home, message)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[0])["conversation_id"]


def read_until(proc: subprocess.Popen, chars: int, seconds: float) -> list[bytes]:
    """Collect ``proc``'s stdout on a thread; return once ``chars`` bytes
    came (the list keeps filling until the process ends)."""
    got: list[bytes] = []

    def pump() -> None:
        while data := os.read(proc.stdout.fileno(), 4096):
            got.append(data)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + seconds
    while sum(map(len, got)) < chars and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    return got


def check_failed_run(rc: int, stdout: str, stderr: str, expected: str) -> None:
    """Exit code 1, one line on stderr naming what happened, no traceback."""
    assert rc == 1, (rc, stderr)
    assert "Traceback" not in stderr and "Traceback" not in stdout, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentdesk: error: "), stderr
    assert not check_clear(lines[0], expected), (lines[0], check_clear(lines[0], expected))


def check_kept(home: Path, cid: int, before: list[Message], sent: str, stdout: str,
               partial: str | None) -> int:
    """The losses counted: earlier messages changed, the user's message or
    the text printed before the fault not kept. ``partial`` None: some
    text, whatever the real model said."""
    losses, reply, _stored = failed_turn_losses(home / "agentdesk.db", cid, before, sent,
                                                partial)
    # What was printed is what is kept (the CLI ends an open line with a newline).
    losses += stdout not in (reply.content, reply.content + "\n")
    return losses
